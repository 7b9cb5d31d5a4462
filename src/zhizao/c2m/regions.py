"""The province-level regions an order is delivered to (demand analytics group orders by them). Pure data."""

from __future__ import annotations

from enum import StrEnum

from zhizao.ui.i18n import N_


class Region(StrEnum):
    """China's 31 mainland province-level divisions (省级行政区), by their pinyin names."""

    BEIJING = "beijing"
    TIANJIN = "tianjin"
    HEBEI = "hebei"
    SHANXI = "shanxi"
    INNER_MONGOLIA = "inner_mongolia"
    LIAONING = "liaoning"
    JILIN = "jilin"
    HEILONGJIANG = "heilongjiang"
    SHANGHAI = "shanghai"
    JIANGSU = "jiangsu"
    ZHEJIANG = "zhejiang"
    ANHUI = "anhui"
    FUJIAN = "fujian"
    JIANGXI = "jiangxi"
    SHANDONG = "shandong"
    HENAN = "henan"
    HUBEI = "hubei"
    HUNAN = "hunan"
    GUANGDONG = "guangdong"
    GUANGXI = "guangxi"
    HAINAN = "hainan"
    CHONGQING = "chongqing"
    SICHUAN = "sichuan"
    GUIZHOU = "guizhou"
    YUNNAN = "yunnan"
    TIBET = "tibet"
    SHAANXI = "shaanxi"
    GANSU = "gansu"
    QINGHAI = "qinghai"
    NINGXIA = "ningxia"
    XINJIANG = "xinjiang"


REGION_LABELS: dict[str, str] = {
    Region.BEIJING: N_("Beijing"),
    Region.TIANJIN: N_("Tianjin"),
    Region.HEBEI: N_("Hebei"),
    Region.SHANXI: N_("Shanxi"),
    Region.INNER_MONGOLIA: N_("Inner Mongolia"),
    Region.LIAONING: N_("Liaoning"),
    Region.JILIN: N_("Jilin"),
    Region.HEILONGJIANG: N_("Heilongjiang"),
    Region.SHANGHAI: N_("Shanghai"),
    Region.JIANGSU: N_("Jiangsu"),
    Region.ZHEJIANG: N_("Zhejiang"),
    Region.ANHUI: N_("Anhui"),
    Region.FUJIAN: N_("Fujian"),
    Region.JIANGXI: N_("Jiangxi"),
    Region.SHANDONG: N_("Shandong"),
    Region.HENAN: N_("Henan"),
    Region.HUBEI: N_("Hubei"),
    Region.HUNAN: N_("Hunan"),
    Region.GUANGDONG: N_("Guangdong"),
    Region.GUANGXI: N_("Guangxi"),
    Region.HAINAN: N_("Hainan"),
    Region.CHONGQING: N_("Chongqing"),
    Region.SICHUAN: N_("Sichuan"),
    Region.GUIZHOU: N_("Guizhou"),
    Region.YUNNAN: N_("Yunnan"),
    Region.TIBET: N_("Tibet"),
    Region.SHAANXI: N_("Shaanxi"),
    Region.GANSU: N_("Gansu"),
    Region.QINGHAI: N_("Qinghai"),
    Region.NINGXIA: N_("Ningxia"),
    Region.XINJIANG: N_("Xinjiang"),
}
