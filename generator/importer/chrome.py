"""Portal chrome: lines that belong to the web page, not to the document.

Breadcrumbs (您当前的位置：首页 » …), toolbars (字号 大 中 小, 打印, 分享, 关闭窗口), QR
prompts (扫一扫在手机打开当前页), view counters and footers (主办单位, 网站标识码, ICP
备案号, 公网安备) are recognised here by their wording. The recogniser drops them and
lists every one in the report; the footer's site facts are offered as a config.yaml
fragment (:func:`footer_facts`) because our templates print their own footer.

Patterns are matched against the simplified form of a line (the caller passes it), so
that a page kept in traditional characters (--keep-traditional) is recognised too.
"""
from __future__ import annotations

import re
from typing import Callable

from bs4 import Tag

# Words of toolbars and navigation bars. A line made only of these is chrome.
TOKENS = {
    "无障碍", "无障碍阅读", "无障碍浏览", "关怀版", "长者版", "适老版", "老年版", "返回首页", "首页", "返回",
    "打印", "打印本页", "打印整页", "打印内容", "打印此页", "打印文章", "打印正文", "分享", "分享到", "关闭",
    "关闭窗口", "关闭本页", "收藏", "加入收藏", "设为首页", "字号", "字体", "大", "中", "小", "默认",
    "网站声明", "网站地图", "帮助说明", "帮助", "联系我们", "智能问答", "政务微信", "政务微博", "微信", "微博",
    "QQ空间", "QQ", "返回顶部", "纠错", "我要纠错", "登录", "注册", "繁体", "繁體", "简体", "简体版",
    "繁体版", "English", "EN", "视力保护色", "语音播报", "朗读", "大字幕", "配色", "放大", "缩小", "光标",
    "读屏", "纯文本", "简体中文", "繁体中文", "扫一扫", "手机版", "移动版", "RSS", "搜索", "站内搜索",
    "全文检索", "高级检索", "上一页", "下一页", "显示", "隐藏", "【", "】", "选择", "复制链接", "今日头条",
    "新浪微博", "腾讯微博", "人民微博", "豆瓣", "百度", "收起", "展开", "用户登录", "退出", "个人中心",
}
_TOKEN_SPLIT = re.compile(r"[\s|｜【】\[\]·•/、,，;；>»›＞:：]+")

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(您当前的位置|您的位置|当前位置|所在位置|您现在的位置|当前所在位置|位置)\s*[:：]"), "面包屑导航"),
    (re.compile(r"^(首页|网站首页)\s*(»|>|＞|›|→|/|>>)"), "面包屑导航"),
    (re.compile(r"扫一扫|扫码|二维码|手机(浏览|打开|查看|阅读)"), "二维码提示"),
    (re.compile(r"^[【\[]?\s*(浏览量|浏览次数|访问量|访问次数|点击数|点击量|阅读量|阅读数|阅读次数)\s*[:：]?\s*\d*\s*(次)?\s*[】\]]?$"),
     "浏览次数"),
    (re.compile(r"copyright|©|\(c\)|版权所有|ICP备|ICP证|公网安备|网站标识码|标识码\s*[:：]?\s*\d|"
                r"主办单位\s*[:：]|承办单位\s*[:：]|网站维护\s*[:：]|技术支持\s*[:：]|建议使用|分辨率|浏览器",
                re.I), "页脚"),
    (re.compile(r"^[【\[]?\s*(上一篇|下一篇|上一条|下一条|上篇|下篇)\s*[:：]"), "上一篇/下一篇链接"),
    (re.compile(r"^[【\[]?\s*(相关链接|相关文章|相关阅读|相关新闻|延伸阅读|热点推荐|推荐阅读)\s*[:：]?\s*[】\]]?$"), "相关链接"),
    (re.compile(r"^[【\[]?\s*字号\s*[:：]"), "字号工具栏"),
    (re.compile(r"^(发布时间|发布日期)\s*[:：]\s*$"), "空的发布时间"),
]
# Lines from which on the rest of the page is footer (if no document text follows).
_FOOTER_START = re.compile(r"扫一扫|扫码|copyright|©|版权所有|ICP备|网站标识码|公网安备|主办单位\s*[:：]", re.I)

_FACTS: list[tuple[str, re.Pattern[str]]] = [
    ("icp", re.compile(r"([\u4e00-\u9fff]ICP[备证]\s*\d{6,}\s*号(?:\s*-\s*\d+)?)")),
    ("police_record", re.compile(r"([\u4e00-\u9fff]{1,2}公网安备\s*号?\s*[:：]?\s*\d{10,16}\s*号?)")),
    ("site_code", re.compile(r"标识码\s*[:：]?\s*([0-9A-Za-z]{6,20})")),
    ("organizer", re.compile(r"主办单位\s*[:：]\s*([^\s|｜,，;；]+)")),
    ("contact.phone", re.compile(r"(?:联系电话|电话|咨询电话)\s*[:：]\s*([0-9（）()\-－—\s]{7,20}\d)")),
    ("contact.email", re.compile(r"([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")),
    ("contact.address", re.compile(r"(?:地址|通讯地址)\s*[:：]\s*([^\s|｜]+)")),
]


def tokens_only(text: str) -> bool:
    """True when a line consists only of toolbar/navigation words."""
    tokens = [t for t in _TOKEN_SPLIT.split(text) if t]
    return bool(tokens) and all(t in TOKENS for t in tokens)


def chrome_reason(view: str) -> str | None:
    """Why a line is page chrome, or None. ``view`` is the simplified line."""
    t = view.strip()
    if not t:
        return None
    if tokens_only(t):
        return "页面工具栏或导航"
    for pattern, reason in _PATTERNS:
        if pattern.search(t):
            return reason
    return None


def is_footer_start(view: str) -> bool:
    return bool(_FOOTER_START.search(view))


def footer_facts(view: str, line: int | None, suggest: Callable[[str, str, int | None], None]) -> None:
    """Offer the site facts of a footer line (ICP, 标识码 …) as config.yaml values."""
    for key, pattern in _FACTS:
        m = pattern.search(view)
        if m:
            value = re.sub(r"\s+", " ", m.group(1)).strip()
            if key == "contact.phone":
                value = value.replace(" ", "")
            suggest(key, value, line)


def site_name(text: str) -> str | None:
    """A site's name from a header line or a <title> suffix: …人民政府, …政府网, …门户网站."""
    t = text.strip()
    if 3 <= len(t) <= 30 and re.search(r"(人民政府|政府|政府网|门户网站|政务网|信息公开网)$", t) \
            and not re.search(r"[，。；：]", t):
        return t
    return None


# Class/id words of navigation and page furniture. Words in STRONG also count inside
# compound names (main-nav, bdsharebuttonbox); words in WHOLE only as a whole class,
# because "article-header" or "content-top" may hold the document's own title.
STRONG = ("nav", "breadcrumb", "crumb", "footer", "share", "fenxiang", "qrcode", "ewm",
          "erweima", "copyright", "fontsize", "zihao", "toolbar", "dqwz", "weizhi")
WHOLE = {"header", "head", "top", "topbar", "bottom", "foot", "side", "sidebar", "menu",
         "position", "location", "search", "links", "friendlink", "print", "login", "banner"}


def is_chrome_element(tag: Tag, inside_article: bool) -> bool:
    """An HTML element that holds navigation, share bars or the footer (a hint only)."""
    name = tag.name
    if name in ("nav", "aside"):
        return True
    if name in ("header", "footer") and not inside_article:
        return True
    words: list[str] = []
    for attr in ("class", "id"):
        value = tag.get(attr)
        if isinstance(value, list):
            words.extend(value)
        elif value:
            words.append(value)
    for word in words:
        w = word.lower()
        if w in WHOLE or any(s in w for s in STRONG):
            return True
    return False
