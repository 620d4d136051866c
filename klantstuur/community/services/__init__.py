"""Every write of the community: one function each, atomic, journaled on the asker's need.

Peers help; the need keeps its one owner, and only the asker says it is solved.
"""

from .answers import (
    answer_correct,
    answer_endorse,
    answer_hide,
    answer_mark_helped,
    answer_post,
    answer_report,
)
from .neighbours import (
    clean_postcode,
    neighbour_answer,
    neighbour_ask,
    neighbour_offer,
    neighbour_withdraw,
    neighbours_erase,
)
from .sharing import community_leave, question_share, question_unshare, questions_erase

__all__ = [
    "answer_correct",
    "answer_endorse",
    "answer_hide",
    "answer_mark_helped",
    "answer_post",
    "answer_report",
    "clean_postcode",
    "community_leave",
    "neighbour_answer",
    "neighbour_ask",
    "neighbour_offer",
    "neighbour_withdraw",
    "neighbours_erase",
    "question_share",
    "question_unshare",
    "questions_erase",
]
