"""zhizao (智造): a regional smart-factory programme and the industrial-internet services its factories use."""

__version__ = "0.1.0"
