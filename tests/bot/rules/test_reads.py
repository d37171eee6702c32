"""When a source is read: daily at 06:00 on the owner's wall clock and an hour before each weekly prompt."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from bot.rules.reads import current_slot, failure_note, next_read, read_instants, retry_read, slot_key

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
FRIDAY_10 = [(4, time(10, 0))]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_source_is_read_every_morning_at_six_on_the_owners_clock():
    # Monday 2026-12-07, 05:00 in Berlin (UTC+1): Sunday's 06:00 read is the latest, Monday's is next.
    now = at("2026-12-07T04:00")
    assert current_slot(BERLIN, FRIDAY_10, now=now) == at("2026-12-06T05:00")
    assert next_read(BERLIN, FRIDAY_10, now=now) == at("2026-12-07T05:00")
    # At the slot itself, the read belongs to that slot.
    assert current_slot(BERLIN, FRIDAY_10, now=at("2026-12-07T05:00")) == at("2026-12-07T05:00")
    assert next_read(BERLIN, FRIDAY_10, now=at("2026-12-07T05:00")) == at("2026-12-08T05:00")


def test_a_source_is_read_an_hour_before_its_owners_prompt():
    # Friday 2026-12-11 10:00 in Berlin is 09:00Z: the source is read at 08:00Z, after the 06:00 local read.
    assert next_read(BERLIN, FRIDAY_10, now=at("2026-12-11T05:00")) == at("2026-12-11T08:00")
    assert current_slot(BERLIN, FRIDAY_10, now=at("2026-12-11T08:59")) == at("2026-12-11T08:00")
    assert next_read(BERLIN, FRIDAY_10, now=at("2026-12-11T08:00")) == at("2026-12-12T05:00")
    # Every prompt slot of the owner counts; an evening prompt is read an hour before too.
    slots = read_instants(BERLIN, [(4, time(10, 0)), (2, time(18, 30))], now=at("2026-12-09T06:00"))
    assert at("2026-12-09T16:30") in slots and at("2026-12-11T08:00") in slots


def test_reads_follow_the_wall_clock_across_daylight_saving_time():
    # New York springs forward on Sunday 2027-03-14: 06:00 is 11:00Z on Saturday and 10:00Z on Sunday.
    assert next_read(NEW_YORK, [], now=at("2027-03-13T12:00")) == at("2027-03-14T10:00")
    assert current_slot(NEW_YORK, [], now=at("2027-03-14T09:59")) == at("2027-03-13T11:00")
    # A Sunday 10:00 prompt is 14:00Z after the change: its read is at 13:00Z, still an hour ahead.
    sunday_10 = [(6, time(10, 0))]
    assert next_read(NEW_YORK, sunday_10, now=at("2027-03-14T10:00")) == at("2027-03-14T13:00")
    # A prompt at 02:30, in the hour that does not exist, goes out at 03:30 EDT (07:30Z): read at 06:30Z.
    assert next_read(NEW_YORK, [(6, time(2, 30))], now=at("2027-03-14T05:00")) == at("2027-03-14T06:30")
    # Autumn: the repeated hour does not double the 06:00 read (06:00 comes after the repeat, once).
    autumn = read_instants(NEW_YORK, [], now=at("2027-11-07T12:00"))
    assert autumn.count(at("2027-11-07T11:00")) == 1 and at("2027-11-07T10:00") not in autumn


def test_a_zone_change_moves_the_reads_with_the_owner():
    now = at("2026-12-07T04:00")
    assert next_read(BERLIN, FRIDAY_10, now=now) == at("2026-12-07T05:00")
    # The owner moved to New York: their morning read is at 06:00 there, 11:00Z, and Friday's an hour before 15:00Z.
    assert next_read(NEW_YORK, FRIDAY_10, now=now) == at("2026-12-07T11:00")
    assert at("2026-12-11T14:00") in read_instants(NEW_YORK, FRIDAY_10, now=at("2026-12-10T12:00"))


def test_a_failed_read_is_tried_again_within_the_hour_before_the_prompt():
    # Failed at the 08:00Z read before a 09:00Z prompt: tried at 08:30Z and again at 09:00Z, in the prompt's tick.
    assert retry_read(BERLIN, FRIDAY_10, now=at("2026-12-11T08:00")) == at("2026-12-11T08:30")
    assert retry_read(BERLIN, FRIDAY_10, now=at("2026-12-11T08:30")) == at("2026-12-11T09:00")
    # Never later than the next slot.
    assert retry_read(BERLIN, FRIDAY_10, now=at("2026-12-11T07:50")) == at("2026-12-11T08:00")


def test_slot_keys_and_failure_notes():
    assert slot_key(datetime(2026, 12, 7, 6, 0, tzinfo=BERLIN)) == "2026-12-07T05:00Z"
    assert failure_note("HTTP 503.", at=at("2026-12-11T08:12"), tz=BERLIN) == "source failed: HTTP 503 at 09:12"
