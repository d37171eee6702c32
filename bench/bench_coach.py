"""The KR coach's accuracy on the labelled set in tests/bot/rules/coach_cases.py (prints numbers; not a test).

    .venv/bin/python bench/bench_coach.py [--misses]

A key result or objective counts as right when the coach gives exactly the notes it is labelled with. Prints the
accuracy over key results, over objectives, the share of good key results flagged, and with --misses every miss.
The targets (checked by tests/bot/rules/test_coach_accuracy.py): >= 97% of key results right, <= 1% of good ones
flagged.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.rules.coach.accuracy import score_key_results, score_objectives  # noqa: E402
from tests.bot.rules.coach_cases import KEY_RESULTS, OBJECTIVES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every key result or objective the coach gets wrong")
    args = parser.parse_args()
    krs, objectives = score_key_results(KEY_RESULTS), score_objectives(OBJECTIVES)
    print(f"key results: {krs.right}/{krs.total} right ({krs.accuracy:.1%}); good ones flagged: "
          f"{krs.good_flagged}/{krs.good} ({krs.good_flagged_share:.1%})")
    print(f"objectives:  {objectives.right}/{objectives.total} right ({objectives.accuracy:.1%}); good ones flagged: "
          f"{objectives.good_flagged}/{objectives.good} ({objectives.good_flagged_share:.1%})")
    if args.misses:
        for miss in (*krs.misses, *objectives.misses):
            print(f"  {miss}")


if __name__ == "__main__":
    main()
