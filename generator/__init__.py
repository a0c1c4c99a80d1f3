"""Gongkai (公开): a static site generator for government information-disclosure sites."""

__version__ = "0.1.0"
