"""The coach's accuracy on the labelled set (tests/bot/rules/coach_cases.py): the thresholds issue 13 sets."""

from collections import Counter

from bot.rules.coach.accuracy import score_key_results, score_objectives
from bot.rules.coach.table import check_key_result

from tests.bot.rules.coach_cases import KEY_RESULTS, OBJECTIVES


def test_the_labelled_set_is_big_and_covers_every_kind_of_key_result():
    labels = Counter(frozenset(expected) for *_, expected in KEY_RESULTS)
    assert len(KEY_RESULTS) >= 150 and len(OBJECTIVES) >= 30
    assert labels[frozenset()] >= 50
    for rule in ("task-not-outcome", "vague-verb", "binary-target", "no-number", "no-baseline", "target-equals-baseline"):
        assert labels[frozenset({rule})] >= 3, rule
    titles = " ".join(title for title, *_ in KEY_RESULTS)
    for written in ("€", "£", "$", "%", ",000", "→", "->"):
        assert written in titles


def test_key_result_accuracy_is_at_least_97_percent_with_at_most_1_percent_of_good_ones_flagged(capsys):
    score = score_key_results(KEY_RESULTS)
    with capsys.disabled():
        print(f"\ncoach on {score.total} labelled key results: {score.accuracy:.1%} right, "
              f"{score.good_flagged_share:.1%} of {score.good} good ones flagged")
    assert score.accuracy >= 0.97, "\n".join(score.misses)
    assert score.good_flagged_share <= 0.01, "\n".join(score.misses)


def test_objective_accuracy(capsys):
    score = score_objectives(OBJECTIVES)
    with capsys.disabled():
        print(f"\ncoach on {score.total} labelled objectives: {score.accuracy:.1%} right")
    assert score.accuracy >= 0.97 and score.good_flagged == 0, "\n".join(score.misses)


def test_the_score_counts_a_miss():
    wrong = [("Launch the onboarding redesign", None, None, None, frozenset()),
             ("Increase NPS from 31 to 45", None, None, None, frozenset())]
    score = score_key_results(wrong)
    assert (score.total, score.right, score.good, score.good_flagged) == (2, 1, 2, 1)
    assert "Launch the onboarding redesign" in score.misses[0]


def test_a_vague_title_gets_the_rewrite_built_from_its_fields():
    (finding,) = check_key_result("Strengthen user happiness", baseline=60, target=75)
    assert finding.rule == "vague-verb" and "“Strengthen”" in finding.message
    assert "Try: Raise user happiness from 60 to 75 by <date>." in finding.hint
    (falling,) = check_key_result("KR2: Reduce churn", baseline=3, target=2, unit="%")
    assert "Try: Lower churn from 3% to 2% by <date>." in falling.hint
    (bare,) = check_key_result("Improve the onboarding experience")
    assert "Try: Raise onboarding experience from <baseline> to <target> by <date>." in bare.hint
