"""Synthetic labelled texts for the context classifier and the text benchmarks.

Deterministic from a seed, built from templates and vocabularies, in Arabic (about 60%) and
English. One class a context (`raqib.text.context_rules.CONTEXTS`):

- unrelated: neutral sentences on weather, markets, transport, sport, lectures and cooking, with
  hard negatives that share words with the positives ("news agency", "foundation", "the state",
  "media centre").
- religious: neutral religious life: prayer times, the Ramadan timetable, Quran recitation and
  tajweed classes, a bake sale at a community centre, a history lecture on the Abbasid caliphate.
- news_or_research: the register of a newspaper or a policy paper *about* terrorism: reporting
  verbs, courts, sanctions, research findings; some quote a slogan or the self-designation as
  reported speech, or name an official outlet ("a statement attributed to Amaq").
- counter_speech: rejection of the group and remembrance of its victims; some put the
  self-designation in quotation marks.
- terrorist_content_candidate: a *skeleton* only: an official outlet's name, a self-designation, the
  documented slogan, date stamps and header words around clearly artificial placeholders
  (⟦PLACEHOLDER-STATEMENT-12⟧, #PLACEHOLDER_TAG_3). The placeholder stands in for the body; no
  text here calls for, praises, threatens, instructs, recruits or raises funds, not even a fake one.

There are 120 templates (12 per class and language; 3 of each 12 can be held out to test
generalisation). A sample is one template, or two of the same class and language (three in ten);
15% of the news, counter-speech and religious samples also carry an unrelated sentence; a third
of the Arabic samples write digits as Arabic-Indic digits; and `obfuscation_rate` of the samples
(default 20%) get one evasion tactic (`obfuscate`). Placeholders are never obfuscated, so a
sample always stays recognisably synthetic.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from raqib.text.model import CONTEXTS, LabelledText

__all__ = [
    "CONTEXTS",
    "OBFUSCATION_TACTICS",
    "TEMPLATE_COUNT",
    "LabelledText",
    "make_labelled_texts",
    "make_posts",
    "obfuscate",
    "write_labelled",
]

MAX_COUNT = 10_000_000
MAX_POST_LENGTH = 1_000_000
ARABIC_SHARE = 0.6
TWO_SENTENCE_SHARE = 0.3
DISTRACTOR_SHARE = 0.15  # samples of these classes that also carry an unrelated sentence
_DISTRACTED = ("news_or_research", "counter_speech", "religious")
TEMPLATE_SPLITS = ("all", "train", "heldout")
ARABIC_INDIC_DIGIT_SHARE = 0.33

# ---------------------------------------------------------------------------------------------
# Vocabularies. Names of the group, its outlets and its slogan are public detection vocabulary.

OUTLETS: dict[str, tuple[str, ...]] = {
    "ar": ("وكالة أعماق", "مؤسسة الفرقان", "مركز الحياة للإعلام", "صحيفة النبأ", "مؤسسة الاعتصام"),
    "en": (
        "Amaq News Agency",
        "Al-Furqan Foundation",
        "Al-Hayat Media Center",
        "al-Naba",
        "Al-I'tisam Foundation",
    ),
}
SELF_NAMES: dict[str, tuple[str, ...]] = {
    "ar": ("الدولة الإسلامية", "دولة الخلافة", "ولاية {place_placeholder}"),
    "en": ("Islamic State", "Dawlat al-Khilafah", "Wilayat {place_placeholder}"),
}
SLOGANS: dict[str, tuple[str, ...]] = {
    "ar": ("باقية وتتمدد", "#باقية_وتتمدد"),
    "en": ("baqiya wa tatamaddad", "remaining and expanding", "باقية وتتمدد"),
}
OPPONENT_NAMES: dict[str, tuple[str, ...]] = {
    "ar": ("داعش", "تنظيم داعش", "تنظيم الدولة", "التنظيم الإرهابي", "الخوارج"),
    "en": ("ISIS", "ISIL", "Daesh", "the so-called Islamic State", "the Islamic State group"),
}
# The words a candidate skeleton may carry besides the names above, placeholders and dates.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "ar": ("بيان", "صادر", "عن", "إصدار", "جديد", "من", "العدد", "خبر", "عاجل", "للهجرة"),
    "en": ("Statement", "by", "New", "release", "from", "issue", "Breaking", "AH"),
}

HIJRI_MONTHS: dict[str, tuple[str, ...]] = {
    "ar": (
        "محرم",
        "صفر",
        "ربيع الأول",
        "ربيع الآخر",
        "جمادى الأولى",
        "جمادى الآخرة",
        "رجب",
        "شعبان",
        "رمضان",
        "شوال",
        "ذو القعدة",
        "ذو الحجة",
    ),
    "en": (
        "Muharram",
        "Safar",
        "Rabi al-Awwal",
        "Rabi al-Thani",
        "Jumada al-Ula",
        "Jumada al-Akhirah",
        "Rajab",
        "Shaban",
        "Ramadan",
        "Shawwal",
        "Dhu al-Qadah",
        "Dhu al-Hijjah",
    ),
}
MONTHS: dict[str, tuple[str, ...]] = {
    "ar": (
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_DAYS: dict[str, tuple[str, ...]] = {
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_CITIES: dict[str, tuple[str, ...]] = {
    "ar": (
        "بغداد",
        "الموصل",
        "الرقة",
        "دمشق",
        "حلب",
        "عمان",
        "بيروت",
        "القاهرة",
        "تونس",
        "الرباط",
        "الجزائر",
        "الدوحة",
        "إسطنبول",
        "باريس",
        "لندن",
        "بروكسل",
    ),
    "en": (
        "Baghdad",
        "Mosul",
        "Raqqa",
        "Damascus",
        "Aleppo",
        "Amman",
        "Beirut",
        "Cairo",
        "Tunis",
        "Rabat",
        "Algiers",
        "Doha",
        "Istanbul",
        "Paris",
        "London",
        "Brussels",
        "Manchester",
    ),
}
_REGIONS: dict[str, tuple[str, ...]] = {
    "ar": ("شمال العراق", "شرق سوريا", "منطقة الساحل", "حوض بحيرة تشاد", "شمال موزمبيق", "البادية"),
    "en": (
        "northern Iraq",
        "eastern Syria",
        "the Sahel",
        "the Lake Chad basin",
        "northern Mozambique",
        "the Syrian desert",
    ),
}
_SHARED: dict[str, dict[str, tuple[str, ...]]] = {
    "ar": {
        "outlet": OUTLETS["ar"],
        "slogan": SLOGANS["ar"],
        "opp": OPPONENT_NAMES["ar"],
        "city": _CITIES["ar"],
        "region": _REGIONS["ar"],
        "day": _DAYS["ar"],
        "month": MONTHS["ar"],
        "platform": ("تلغرام", "تطبيقات المراسلة", "مواقع مشاركة الملفات", "منصات التواصل"),
        "institute": (
            "مركز الدراسات الأمنية",
            "مجموعة بحثية جامعية",
            "معهد دراسات السلامة على الإنترنت",
            "مرصد التطرف الرقمي",
        ),
        "body": ("مجلس الأمن الدولي", "الاتحاد الأوروبي", "وزارة الخزانة الأمريكية"),
        "offence": (
            "الانتماء إلى تنظيم إرهابي",
            "نشر دعاية إرهابية على الإنترنت",
            "تمويل الإرهاب",
        ),
        "source": ("وسائل إعلام محلية", "وزارة الداخلية", "مصادر أمنية", "بيان رسمي"),
        "topic": ("الذكاء الاصطناعي", "تاريخ العمارة", "الطاقة الشمسية", "الزراعة المائية"),
        "rel_topic": ("آداب الصيام", "صلة الرحم", "فضل الصدقة", "سيرة الخلفاء الراشدين"),
        "team": ("الزمالك", "الأهلي", "الوداد", "الترجي", "الهلال", "الشرطة", "الجيش الملكي"),
        "competition": ("الدوري المحلي", "كأس الاتحاد", "دوري أبطال العرب"),
        "dish": ("المقلوبة", "الكبسة", "الكسكس", "الفتوش", "الملوخية"),
        "ingredient": ("الأرز", "الحمص", "الليمون", "النعناع", "الطماطم"),
        "index": ("تاسي", "البورصة المصرية", "مؤشر سوق دبي", "مؤشر عمان"),
        "sector": ("البنوك", "الاتصالات", "الطاقة", "العقارات"),
        "mosque": ("النور", "الرحمة", "التقوى", "الهدى", "السلام"),
        "prayer": ("الفجر", "الظهر", "العصر", "المغرب", "العشاء"),
        "neutral_tag": ("#لا_للتطرف", "#معا_ضد_الكراهية", "#نتذكرهم"),
    },
    "en": {
        "outlet": OUTLETS["en"],
        "slogan": SLOGANS["en"],
        "opp": OPPONENT_NAMES["en"],
        "city": _CITIES["en"],
        "region": _REGIONS["en"],
        "day": _DAYS["en"],
        "month": MONTHS["en"],
        "platform": ("Telegram", "messaging apps", "file-sharing sites", "social media"),
        "institute": (
            "the Centre for Security Studies",
            "a university research group",
            "the Institute for Online Safety",
            "the Digital Extremism Observatory",
        ),
        "body": ("the UN Security Council", "the European Union", "the US Treasury"),
        "offence": (
            "membership of a terrorist organisation",
            "sharing terrorist propaganda online",
            "financing terrorism",
        ),
        "source": ("local media", "the interior ministry", "security sources", "an official"),
        "topic": ("artificial intelligence", "architecture history", "solar power", "hydroponics"),
        "rel_topic": ("the etiquette of fasting", "family ties", "charity", "the early caliphs"),
        "team": ("Leeds", "Ajax", "Porto", "Celtic", "Lyon", "Sevilla", "Napoli"),
        "competition": ("the league", "the cup semi-final", "the Champions League"),
        "dish": ("lentil soup", "a vegetable tagine", "maqluba", "fattoush", "shakshuka"),
        "ingredient": ("rice", "chickpeas", "lemon", "mint", "tomatoes"),
        "index": ("the FTSE 100", "the DAX", "the Nikkei", "the S&P 500"),
        "sector": ("bank", "telecom", "energy", "property"),
        "mosque": ("Al-Noor", "Central", "Al-Huda", "Eastside", "Al-Salam"),
        "prayer": ("Fajr", "Dhuhr", "Asr", "Maghrib", "Isha"),
        "neutral_tag": ("#NotInMyName", "#UnitedAgainstHate", "#WeRemember"),
    },
}

# ---------------------------------------------------------------------------------------------
# Templates: {slot} is filled from the vocabularies above or a generated value (see _generated).

_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "unrelated": {
        "ar": (
            "الطقس: يتوقع أن تصل درجة الحرارة في {city} إلى {temp} درجة يوم {day} مع رياح خفيفة.",
            "أغلق {index} مرتفعا بنسبة {pct}% يوم {day} بدعم من أسهم قطاع {sector}.",
            "فاز فريق {team} على {team} بنتيجة {score} في {competition} مساء {day}.",
            "تغلق محطة المترو الرئيسية في {city} للصيانة من الساعة {time} يوم {day}.",
            "تقام محاضرة عامة عن {topic} في المركز الثقافي بمدينة {city} يوم {day}.",
            "وصفة الأسبوع: {dish} مع {ingredient} و{ingredient}، جاهزة خلال {minutes} دقيقة.",
            "تأخرت الرحلات من {city} إلى {city} نحو {minutes} دقيقة بسبب الضباب صباح {day}.",
            "ذكرت وكالة الأنباء الرسمية أن ميناء {city} استقبل {number} حاوية خلال شهر {month}.",
            "افتتحت مؤسسة ثقافية مكتبة عامة جديدة في {city} بحضور المدرب {person}.",
            "أعلنت وزارة النقل في الدولة عن جدول جديد للحافلات بين {city} و{city} من {date}.",
            "نظم مركز الإعلام في جامعة {city} يوما مفتوحا عن {topic} يوم {day}.",
            "انخفض سعر الذهب بنسبة {pct}% في تعاملات {day} بحسب متعاملين في سوق {city}.",
        ),
        "en": (
            "Weather: {city} expects {temp} degrees on {day} with light winds in the afternoon.",
            "{index} closed up {pct}% on {day} as {sector} shares gained.",
            "{team} beat {team} {score} in {competition} on {day} evening.",
            "The main metro station in {city} closes for maintenance from {time} on {day}.",
            "A public lecture on {topic} will be held at the cultural centre in {city} on {day}.",
            "Recipe of the week: {dish} with {ingredient} and {ingredient}, ready in {minutes} "
            "minutes.",
            "Flights from {city} to {city} were delayed by {minutes} minutes by fog on {day}.",
            "The state news agency reported that the port of {city} handled {number} containers "
            "in {month}.",
            "A cultural foundation opened a new public library in {city}; coach {person} attended.",
            "The state transport ministry announced a new bus timetable between {city} and {city} "
            "from {date}.",
            "The university media centre in {city} holds an open day on {topic} on {day}.",
            "Gold fell {pct}% in trading on {day}, dealers in {city} said.",
        ),
    },
    "religious": {
        "ar": (
            "أعلن مسجد {mosque} أن صلاة {prayer} يوم {day} ستقام الساعة {time}.",
            "إمساكية رمضان في {city}: الإمساك الساعة {dawn} والإفطار الساعة {dusk} في اليوم {n}.",
            "يبدأ درس أسبوعي في تلاوة القرآن وأحكام التجويد في المركز الإسلامي يوم {day}.",
            "ينظم المركز الإسلامي في {city} سوقا خيرية للمعجنات بعد صلاة {prayer} يوم {day}.",
            "تقام صلاة العيد في {city} في الساحة العامة الساعة {time} إن سمح الطقس.",
            "يلقي إمام مسجد {mosque} الشيخ {person} كلمة عن {rel_topic} بعد صلاة {prayer}.",
            "خطبة الجمعة في مسجد {mosque} هذا الأسبوع عن {rel_topic}.",
            "أضافت مكتبة مسجد {mosque} كتبا جديدة في التفسير وعلوم القرآن.",
            "تغادر قافلة الحجاج من {city} يوم {day} الموافق {date} بحسب مكتب السفر.",
            "تختتم مسابقة حفظ القرآن الكريم للأطفال في {city} يوم {day} بتوزيع الجوائز.",
            "محاضرة في تاريخ الخلافة العباسية وعلماء بغداد في المركز الإسلامي يوم {day}.",
            "يشكر مسجد {mosque} المتطوعين الذين أعدوا وجبات الإفطار خلال شهر رمضان.",
        ),
        "en": (
            "The {mosque} mosque announced that {prayer} prayer on {day} will be at {time}.",
            "Ramadan timetable for {city}: suhoor ends at {dawn}, iftar is at {dusk} on day {n}.",
            "A weekly class on Quran recitation and tajweed starts at the Islamic centre on {day}.",
            "The community centre in {city} holds a charity bake sale after {prayer} prayer on "
            "{day}.",
            "Eid prayer in {city} will be held in the park at {time}, weather permitting.",
            "Imam {person} of the {mosque} mosque will give a talk on {rel_topic} after {prayer}.",
            "This week's Friday sermon at the {mosque} mosque is on {rel_topic}.",
            "The library of the {mosque} mosque has added new books on Quran commentary.",
            "The Hajj group from {city} departs on {day} {date}, the travel office said.",
            "The children's Quran memorisation contest in {city} ends on {day} with a prize "
            "giving.",
            "A lecture on the Abbasid caliphate and the scholars of Baghdad is held on {day}.",
            "The {mosque} mosque thanks the volunteers who prepared iftar meals during Ramadan.",
        ),
    },
    "news_or_research": {
        "ar": (
            "قال مسؤولون يوم {day} إن {opp} أعلن مسؤوليته عن هجوم في {region}، بحسب {source}.",
            "وفقا لتقرير أعده باحثون في {institute}، تراجع النشاط الإعلامي الذي ينسب إلى {opp} "
            "بنسبة {pct}% في عام {year}.",
            "قضت محكمة في {city} بسجن المتهم {person} {n} سنوات بتهمة {offence} في قضية تتعلق "
            "بعناصر من {opp}، بحسب النيابة.",
            "أضاف {body} {n} أشخاص إلى قائمة العقوبات في {date} بسبب صلاتهم مع {opp}.",
            "نقلت {source} عن بيان منسوب إلى {outlet} أن التنظيم يقف وراء الحادث، لكن السلطات "
            "قالت إنها لم تتحقق منه.",
            'لاحظ الباحثون أن شعار "{slogan}" ورد في {n} من المنشورات التي حللوها على {platform}.',
            "يرصد التقرير كيف نشرت {outlet} و{outlet} موادها على {platform} في عام {year}.",
            "اعتقلت الشرطة في {city} {n} مشتبه بهم يوم {day} في تحقيق بشأن تمويل {opp}، بحسب "
            "{source}.",
            "يقول محللون في {institute} إن {opp} نقل نشاطه إلى منصات أصغر منذ عام {year}.",
            "توصي ورقة سياسات صادرة عن {institute} بأن تتبادل المنصات بصمات مواد {opp}.",
            'خسر التنظيم الذي يطلق على نفسه اسم "{self}" آخر مناطق سيطرته في {region} عام '
            "{year}، بحسب مسؤولين.",
            "قدر تقرير لفريق الرصد التابع للأمم المتحدة أن لدى {opp} بين {n} و{number} عنصر في "
            "{region}.",
        ),
        "en": (
            "Officials said on {day} that {opp} had claimed an attack in {region}, according to "
            "{source}.",
            "According to a report by researchers at {institute}, {opp} media output fell by "
            "{pct}% in {year}.",
            "A court in {city} sentenced {person} to {n} years for {offence} in a case linked to "
            "{opp}, prosecutors said.",
            "{body} added {n} people linked to {opp} to its sanctions list on {date}.",
            "A statement attributed to {outlet} said the group was behind the incident, but "
            "officials said they could not verify it.",
            'Researchers found the slogan "{slogan}" in {n} of the posts they analysed on '
            "{platform}.",
            "The report describes how {outlet} and {outlet} distributed material on {platform} in "
            "{year}.",
            "Police in {city} arrested {n} suspects on {day} in an inquiry into {opp} financing, "
            "{source} said.",
            "Analysts at {institute} say {opp} has moved to smaller platforms since {year}.",
            "A policy paper by {institute} recommends that platforms share hashes of {opp} "
            "material.",
            'The group, which calls itself "{self}", lost its last territory in {region} in '
            "{year}, officials said.",
            "A UN monitoring team report estimated that {opp} has between {n} and {number} members "
            "in {region}.",
        ),
    },
    "counter_speech": {
        "ar": (
            "{opp} لا يمثل الإسلام ولا المسلمين.",
            "نتذكر ضحايا هجوم {city} عام {year} ونقف مع عائلاتهم.",
            "أهالي {city} يرفضون التطرف، و{opp} لم يجلب إلى {region} إلا الخراب.",
            "أكد أئمة ووجهاء {city} يوم {day} أن فكر الخوارج لا مكان له بيننا.",
            'يسمون أنفسهم "{self}" لكن جرائمهم بحق أهل {region} تشهد أنهم ليسوا من الإسلام في شيء.',
            "شارك ناجون من {region} قصصهم في حفل تأبين في {city} رفضا للكراهية.",
            "ديننا دين رحمة، و{opp} شوه صورته ونحن نرفضه.",
            "عائلات ضحايا {opp} في {region} تطالب بالعدالة وبحفظ ذكرى أبنائها.",
            "أطلق شباب {city} حملة ضد التطرف تحت وسم {neutral_tag}.",
            "يروي سكان {region} سنوات الخوف تحت حكم {opp}، واليوم يعيدون بناء مدارسهم.",
            "الناجية {person} تروي قصتها: لن ننسى من فقدناهم في {city}.",
            "لا لفكر {opp}، نعم للتعايش والسلام في {city}.",
        ),
        "en": (
            "{opp} does not represent Islam or Muslims.",
            "We remember the victims of the {city} attack of {year} and stand with their families.",
            "The people of {city} reject extremism; {opp} brought nothing but ruin to {region}.",
            "Imams and community leaders in {city} said on {day} that the ideology of {opp} has "
            "no place among them.",
            'They call themselves "{self}", but their crimes against the people of {region} show '
            "they are neither Islamic nor a state.",
            "Survivors from {region} shared their stories at a memorial in {city} to say no to "
            "hate.",
            "Our faith teaches mercy; {opp} twisted it, and we reject them.",
            "Families of the victims of {opp} in {region} ask for justice and remembrance.",
            "Young people in {city} started a campaign against extremism under {neutral_tag}.",
            "Residents of {region} recall years of fear under {opp}; today they rebuild their "
            "schools.",
            "Survivor {person} tells her story: we will not forget those we lost in {city}.",
            "No to the ideology of {opp}, yes to living together in peace in {city}.",
        ),
    },
    "terrorist_content_candidate": {
        "ar": (
            "{outlet}: {self} — {statement} {slogan}",
            "{outlet} | {hijri_date} | {self} | {statement} {tag}",
            "[{outlet}] {wilaya}: {statement} — {slogan}",
            "{self} — {outlet} — العدد {issue} — {hijri_date}",
            "{tag} {outlet} {hijri_date}: {statement} {self}",
            "{hijri_date} — {wilaya} — {outlet} {statement}",
            "{slogan} … {self} {statement} ({outlet})",
            "بيان صادر عن {self}، {wilaya}: {statement}",
            "إصدار جديد من {outlet}: {title} {tag}",
            "{outlet} — {date} — {statement} — {self} {slogan}",
            "{self} | {wilaya} | {outlet} | {title} | {tag} {tag}",
            "خبر عاجل | {outlet} | {wilaya} | {statement}",
        ),
        "en": (
            "{outlet}: {self} — {statement} {slogan}",
            "{outlet} | {hijri_date} | {self} | {statement} {tag}",
            "[{outlet}] {wilaya}: {statement} — {slogan}",
            "{self} — {outlet} — issue {issue} — {hijri_date}",
            "{tag} {outlet} {hijri_date}: {statement} {self}",
            "{hijri_date} — {wilaya} — {outlet} {statement}",
            "{slogan} … {self} {statement} ({outlet})",
            "Statement by {self}, {wilaya}: {statement}",
            "New release from {outlet}: {title} {tag}",
            "{outlet} — {date} — {statement} — {self} {slogan}",
            "{self} | {wilaya} | {outlet} | {title} | {tag} {tag}",
            "Breaking | {outlet} | {wilaya} | {statement}",
        ),
    },
}
TEMPLATE_COUNT = sum(len(t) for by_language in _TEMPLATES.values() for t in by_language.values())

_SLOT = re.compile(r"\{(\w+)\}")


def _number(low: int, high: int) -> Callable[[random.Random, str], str]:
    return lambda rng, _language: str(rng.randint(low, high))


def _placeholder(kind: str) -> Callable[[random.Random, str], str]:
    return lambda rng, _language: f"⟦PLACEHOLDER-{kind}-{rng.randint(1, 999)}⟧"


def _clock(first_hour: int, last_hour: int) -> Callable[[random.Random, str], str]:
    def clock(rng: random.Random, _language: str) -> str:
        minutes = rng.choice((0, 10, 15, 20, 30, 40, 45))
        return f"{rng.randint(first_hour, last_hour):02d}:{minutes:02d}"

    return clock


def _score(rng: random.Random, _language: str) -> str:
    return f"{rng.randint(0, 4)}-{rng.randint(0, 4)}"


def _date(rng: random.Random, language: str) -> str:
    month = rng.choice(MONTHS[language])
    return f"{rng.randint(1, 28)} {month} {rng.randint(2014, 2025)}"


def _hijri_date(rng: random.Random, language: str) -> str:
    month = rng.choice(HIJRI_MONTHS[language])
    suffix = "للهجرة" if language == "ar" else "AH"
    return f"{rng.randint(1, 29)} {month} {rng.randint(1435, 1446)} {suffix}"


def _self_name(rng: random.Random, language: str) -> str:
    name = rng.choice(SELF_NAMES[language])
    return name.replace("{place_placeholder}", _placeholder("PLACE")(rng, language))


def _wilaya(rng: random.Random, language: str) -> str:
    prefix = "ولاية" if language == "ar" else "Wilayat"
    return f"{prefix} {_placeholder('PLACE')(rng, language)}"


_GENERATED: dict[str, Callable[[random.Random, str], str]] = {
    "n": _number(2, 30),
    "pct": _number(2, 45),
    "temp": _number(4, 46),
    "year": _number(2014, 2025),
    "minutes": _number(10, 90),
    "number": _number(120, 9000),
    "time": _clock(5, 22),
    "dawn": _clock(3, 4),
    "dusk": _clock(17, 19),
    "score": _score,
    "date": _date,
    "hijri_date": _hijri_date,
    "self": _self_name,
    "wilaya": _wilaya,
    "statement": _placeholder("STATEMENT"),
    "title": _placeholder("TITLE"),
    "issue": _placeholder("ISSUE"),
    "person": _placeholder("NAME"),
    "tag": lambda rng, _language: f"#PLACEHOLDER_TAG_{rng.randint(1, 99)}",
}


def _fill(template: str, language: str, rng: random.Random) -> str:
    vocabulary = _SHARED[language]

    def slot(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _GENERATED:
            return _GENERATED[name](rng, language)
        return rng.choice(vocabulary[name])

    filled = _SLOT.sub(slot, template)
    return "T" + filled[1:] if filled.startswith("the ") else filled  # "The Nikkei closed ..."


def _templates(label: str, language: str, split: str) -> tuple[str, ...]:
    everything = _TEMPLATES[label][language]
    if split == "all":
        return everything
    return tuple(t for i, t in enumerate(everything) if (i % 4 == 3) == (split == "heldout"))


def _compose(label: str, language: str, rng: random.Random, split: str = "all") -> str:
    """One sample of `label` in `language` from the `split`'s templates, before obfuscation: one
    template, or two; some carry an unrelated sentence besides."""
    templates = _templates(label, language, split)
    sentences = [_fill(rng.choice(templates), language, rng)]
    if rng.random() < TWO_SENTENCE_SHARE:
        sentences.append(_fill(rng.choice(templates), language, rng))
    if label in _DISTRACTED and rng.random() < DISTRACTOR_SHARE:
        distractor = _fill(rng.choice(_templates("unrelated", language, split)), language, rng)
        sentences.insert(rng.randint(0, len(sentences)), distractor)
    text = rng.choice((" ", "\n")).join(sentences)
    if language == "ar" and rng.random() < ARABIC_INDIC_DIGIT_SHARE:
        text = _map_unprotected(text, lambda piece: piece.translate(_ARABIC_INDIC))
    return text


# ---------------------------------------------------------------------------------------------
# Public generators


def make_labelled_texts(
    count: int, seed: int = 0, *, obfuscation_rate: float = 0.2, templates: str = "all"
) -> list[LabelledText]:
    """`count` labelled samples, classes balanced (sizes differ by at most one), in shuffled order.

    About 60% are Arabic; `obfuscation_rate` of them get one evasion tactic that changes the text
    (the samples are otherwise the same whatever the rate).
    `templates` is "all", or "train" (9 of the 12 templates of each class and language) or
    "heldout" (the other 3), to measure how a model does on phrasings it never saw.
    """
    _check_count(count)
    if not 0.0 <= obfuscation_rate <= 1.0:
        raise ValueError(f"obfuscation_rate {obfuscation_rate} is not between 0 and 1")
    if templates not in TEMPLATE_SPLITS:
        raise ValueError(f"templates {templates!r} is not one of {', '.join(TEMPLATE_SPLITS)}")
    rng = random.Random(seed)
    # A stream of its own, so that the samples are the same whatever the obfuscation rate.
    tactics = random.Random(f"obfuscation-{seed}")
    labels = [CONTEXTS[i % len(CONTEXTS)] for i in range(count)]
    rng.shuffle(labels)
    return [_sample(label, rng, tactics, obfuscation_rate, templates) for label in labels]


def _sample(
    label: str, rng: random.Random, tactics: random.Random, obfuscation_rate: float, split: str
) -> LabelledText:
    language = "ar" if rng.random() < ARABIC_SHARE else "en"
    text = _compose(label, language, rng, split)
    if tactics.random() < obfuscation_rate:
        text = obfuscate(text, tactics.choice(_TACTICS_BY_LANGUAGE[language]), tactics)
    return LabelledText(text=text, label=label, language=language)


def write_labelled(path: Path, count: int, seed: int = 0) -> None:
    """Write `make_labelled_texts(count, seed)` as JSONL: {"text", "label", "language"} a line."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for sample in make_labelled_texts(count, seed):
            record = {"text": sample.text, "label": sample.label, "language": sample.language}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def make_posts(count: int, seed: int = 0, length: int = 280) -> list[str]:
    """`count` benchmark posts of exactly `length` characters: samples of one random class and
    language run together and cut; about 20% carry one evasion tactic."""
    _check_count(count)
    if not 1 <= length <= MAX_POST_LENGTH:
        raise ValueError(f"length {length} is not between 1 and {MAX_POST_LENGTH}")
    rng = random.Random(seed)
    return [_post(rng, length) for _ in range(count)]


def _post(rng: random.Random, length: int) -> str:
    label = rng.choice(CONTEXTS)
    language = "ar" if rng.random() < ARABIC_SHARE else "en"
    text = _compose(label, language, rng)
    while len(text) < length:
        text += " " + _compose(label, language, rng)
    if rng.random() < 0.2:
        text = obfuscate(text, rng.choice(_TACTICS_BY_LANGUAGE[language]), rng)
    while len(text) < length:  # (no tactic shortens the templates' words; a guard all the same)
        text += " " + _compose(label, language, rng)
    return text[:length]


def _check_count(count: int) -> None:
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count {count} is not between 0 and {MAX_COUNT}")


# ---------------------------------------------------------------------------------------------
# Obfuscation: the evasion tactics, applied programmatically to words outside placeholders.

OBFUSCATION_TACTICS = (
    "diacritics",  # Arabic harakat (combining accents on Latin letters) inside words
    "tatweel",  # the kashida U+0640 between joining Arabic letters
    "spaced_letters",  # a space between every letter of a word
    "zero_width",  # ZWSP, ZWNJ, ZWJ, word joiner or BOM between letters
    "bidi",  # LRM/RLM/ALM marks between letters, or a word wrapped in an isolate or override
    "dotless",  # Arabic letters written without their dots (ب → ٮ, ق → ٯ, ش → س, ...)
    "lookalike",  # Cyrillic for Latin letters, Persian/Urdu forms for Arabic ones (ك → ک)
    "arabizi_digits",  # Arabic words in Latin letters with digits for sounds (ع → 3, ح → 7)
    "repeat_letters",  # a letter of a word repeated (داعش → داااعش)
)
# Tactics that change English text; tatweel, dotless and Arabizi act on Arabic letters only.
_TACTICS_BY_LANGUAGE = {
    "ar": OBFUSCATION_TACTICS,
    "en": ("diacritics", "spaced_letters", "zero_width", "bidi", "lookalike", "repeat_letters"),
}

HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
LATIN_MARKS = "\u0300\u0301\u0302\u0303\u0308"
TATWEEL = "\u0640"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI_MARKS = "\u200e\u200f\u061c"
_BIDI_WRAPS = (
    ("\u2066", "\u2069"),
    ("\u2067", "\u2069"),
    ("\u202e", "\u202c"),
    ("\u202b", "\u202c"),
)
BIDI_CONTROLS = BIDI_MARKS + "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
DOTLESS = {
    "ب": "ٮ",
    "ت": "ٮ",
    "ث": "ٮ",
    "ن": "ں",
    "ي": "ى",
    "ق": "ٯ",
    "ف": "ڡ",
    "ج": "ح",
    "خ": "ح",
    "ذ": "د",
    "ز": "ر",
    "ش": "س",
    "ض": "ص",
    "ظ": "ط",
    "غ": "ع",
    "ة": "ه",
}
LOOKALIKES = {
    **dict(zip("aceiopxysjABCEHIKMOPSTX", "асеіорхуѕјАВСЕНІКМОРЅТХ", strict=True)),
    "ك": "ک",
    "ي": "ی",
    "ى": "ی",
    "ه": "ہ",
    "ة": "ۃ",
}
ARABIZI = {
    **dict.fromkeys("ءأإؤئ", "2"),
    TATWEEL: "",
    "آ": "2a",
    "ا": "a",
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "7",
    "خ": "5",
    "د": "d",
    "ذ": "th",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "9",
    "ض": "d",
    "ط": "6",
    "ظ": "z",
    "ع": "3",
    "غ": "gh",
    "ف": "f",
    "ق": "8",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "a",
    "و": "w",
    "ي": "y",
    "ى": "a",
}
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_NON_JOINING = set("ءآأؤإاةدذرزوى")  # Arabic letters that never join the letter after them
# Placeholders and placeholder hashtags are protected; words are runs of letters.
_PIECES = re.compile(r"(?P<protected>⟦[^⟧]*⟧|#PLACEHOLDER_TAG_\d+)|(?P<word>[^\W\d_]+)")
_MIN_WORD = 3  # every tactic but Arabizi leaves shorter words alone


def _is_arabic_letter(char: str) -> bool:
    return "\u0621" <= char <= "\u064a" and char != TATWEEL


def _joins_next(word: str, i: int) -> bool:
    return (
        _is_arabic_letter(word[i])
        and word[i] not in _NON_JOINING
        and _is_arabic_letter(word[i + 1])
    )


def _positions(count: int, rng: random.Random, share: float = 0.5) -> list[int]:
    """A random non-empty subset of range(count) (each kept with probability `share`)."""
    chosen = [i for i in range(count) if rng.random() < share]
    return chosen or [rng.randrange(count)]


def _insert_between(word: str, rng: random.Random, pick: Callable[[], str]) -> str:
    gaps = set(_positions(len(word) - 1, rng))
    return "".join(c + (pick() if i in gaps else "") for i, c in enumerate(word))


def _diacritics(word: str, rng: random.Random) -> str:
    marked = set(_positions(len(word), rng))

    def mark(char: str) -> str:
        return rng.choice(HARAKAT if _is_arabic_letter(char) else LATIN_MARKS)

    return "".join(c + (mark(c) if i in marked else "") for i, c in enumerate(word))


def _tatweel(word: str, rng: random.Random) -> str:
    joins = [i for i in range(len(word) - 1) if _joins_next(word, i)]
    chosen = {joins[i] for i in _positions(len(joins), rng)}
    return "".join(
        c + (TATWEEL * rng.randint(1, 3) if i in chosen else "") for i, c in enumerate(word)
    )


def _bidi(word: str, rng: random.Random) -> str:
    if rng.random() < 0.3:
        opening, closing = rng.choice(_BIDI_WRAPS)
        return opening + word + closing
    return _insert_between(word, rng, lambda: rng.choice(BIDI_MARKS))


def _substitute(table: Mapping[str, str]) -> Callable[[str, random.Random], str]:
    def apply(word: str, rng: random.Random) -> str:
        where = [i for i, c in enumerate(word) if c in table]
        chosen = {where[i] for i in _positions(len(where), rng, 0.7)}
        return "".join(table[c] if i in chosen else c for i, c in enumerate(word))

    return apply


def _repeat_letters(word: str, rng: random.Random) -> str:
    chosen = set(_positions(len(word), rng, 0.25))
    return "".join(c * (1 + rng.randint(1, 3) if i in chosen else 1) for i, c in enumerate(word))


def _arabizi(word: str, _rng: random.Random) -> str:
    return "".join(ARABIZI.get(c, c) for c in word)


# tactic -> (does it apply to this word?, the transformation, share of eligible words changed)
_WordRule = tuple[Callable[[str], bool], Callable[[str, random.Random], str], float]
_WORD_RULES: dict[str, _WordRule] = {
    "diacritics": (lambda w: True, _diacritics, 0.5),
    "tatweel": (lambda w: any(_joins_next(w, i) for i in range(len(w) - 1)), _tatweel, 0.5),
    "spaced_letters": (lambda w: True, lambda w, _rng: " ".join(w), 0.5),
    "zero_width": (
        lambda w: True,
        lambda w, rng: _insert_between(w, rng, lambda: rng.choice(ZERO_WIDTH)),
        0.5,
    ),
    "bidi": (lambda w: True, _bidi, 0.5),
    "dotless": (lambda w: any(c in DOTLESS for c in w), _substitute(DOTLESS), 0.5),
    "lookalike": (lambda w: any(c in LOOKALIKES for c in w), _substitute(LOOKALIKES), 0.5),
    "arabizi_digits": (lambda w: any(map(_is_arabic_letter, w)), _arabizi, 1.0),
    "repeat_letters": (lambda w: True, _repeat_letters, 0.5),
}


def obfuscate(text: str, tactic: str, rng: random.Random) -> str:
    """`text` with one evasion `tactic` (see OBFUSCATION_TACTICS) applied to some of its words.

    At least one eligible word changes (every Arabic word for "arabizi_digits"); text inside
    ⟦…⟧ placeholders and #PLACEHOLDER_TAG_n hashtags is left as it is. A text with no word the
    tactic applies to (an English text for "tatweel") comes back unchanged.
    """
    if tactic not in _WORD_RULES:
        raise ValueError(f"unknown tactic {tactic!r}; known: {', '.join(OBFUSCATION_TACTICS)}")
    applies, transform, share = _WORD_RULES[tactic]
    words = [
        m
        for m in _PIECES.finditer(text)
        if m.group("word")
        and (len(m.group("word")) >= _MIN_WORD or tactic == "arabizi_digits")
        and applies(m.group("word"))
    ]
    if not words:
        return text
    chosen = {words[i].start() for i in _positions(len(words), rng, share)}
    out: list[str] = []
    end = 0
    for match in words:
        if match.start() in chosen:
            out += [text[end : match.start()], transform(match.group("word"), rng)]
            end = match.end()
    return "".join([*out, text[end:]])


def _map_unprotected(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to everything outside placeholders."""
    return "".join(
        piece if index % 2 else change(piece) for index, piece in enumerate(_protected_split(text))
    )


def _protected_split(text: str) -> Iterator[str]:
    """Alternating pieces: outside, placeholder, outside, ... (the first and last are outside)."""
    end = 0
    for match in _PIECES.finditer(text):
        if match.group("protected"):
            yield text[end : match.start()]
            yield match.group()
            end = match.end()
    yield text[end:]
