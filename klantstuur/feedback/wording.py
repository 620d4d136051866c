"""The standard surveys in their standard wording, Dutch and English (docs/metrics.md).

Kept here verbatim rather than in the translation catalogue: the wording of a
standard survey is part of the standard (changing it changes what is measured).
``{company}`` is the business's name.
"""

from typing import Any

from django.utils import translation

WORDING: dict[str, dict[str, dict[str, Any]]] = {
    # Customer Satisfaction Score (CSAT), 5-point scale.
    "csat": {
        "en": {
            "question": "How satisfied were you with {company}?",
            "labels": {
                1: "Very dissatisfied",
                2: "Dissatisfied",
                3: "Neither satisfied nor dissatisfied",
                4: "Satisfied",
                5: "Very satisfied",
            },
        },
        "nl": {
            "question": "Hoe tevreden was u over {company}?",
            "labels": {
                1: "Zeer ontevreden",
                2: "Ontevreden",
                3: "Niet tevreden, niet ontevreden",
                4: "Tevreden",
                5: "Zeer tevreden",
            },
        },
    },
    # Customer Effort Score (CES 2.0), the 7-point agreement form.
    "ces": {
        "en": {
            "question": "{company} made it easy for me to handle my issue.",
            "labels": {
                1: "Strongly disagree",
                2: "Disagree",
                3: "Somewhat disagree",
                4: "Neither agree nor disagree",
                5: "Somewhat agree",
                6: "Agree",
                7: "Strongly agree",
            },
        },
        "nl": {
            "question": "{company} heeft het mij gemakkelijk gemaakt om mijn probleem af te handelen.",
            "labels": {
                1: "Helemaal mee oneens",
                2: "Mee oneens",
                3: "Enigszins mee oneens",
                4: "Niet mee eens, niet mee oneens",
                5: "Enigszins mee eens",
                6: "Mee eens",
                7: "Helemaal mee eens",
            },
        },
    },
    # Net Promoter Score (NPS), 0–10 with anchored ends.
    "nps": {
        "en": {
            "question": "How likely is it that you would recommend {company} to a friend or colleague?",
            "labels": {0: "Not at all likely", 10: "Extremely likely"},
        },
        "nl": {
            "question": "Hoe waarschijnlijk is het dat u {company} zou aanbevelen aan een vriend of collega?",
            "labels": {0: "Zeer onwaarschijnlijk", 10: "Zeer waarschijnlijk"},
        },
    },
}

SCALES = {"csat": range(1, 6), "ces": range(1, 8), "nps": range(0, 11)}


def survey_text(survey: str, company: str, language: str | None = None) -> dict[str, Any]:
    """The question and the labelled choices in the current (or given) language."""
    lang = (language or translation.get_language() or "nl")[:2]
    text = WORDING[survey].get(lang, WORDING[survey]["nl"])
    return {
        "survey": survey,
        "question": text["question"].format(company=company),
        "choices": [(n, text["labels"].get(n, "")) for n in SCALES[survey]],
        "low": text["labels"][min(SCALES[survey])],
        "high": text["labels"][max(SCALES[survey])],
    }
