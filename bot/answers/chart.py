"""`/okr status TEAM chart` and the Chart button: the team's chart, uploaded to Slack and shown in an image block."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.lookup import no_such_team, team_name_of
from bot.reports.chart import team_chart
from bot.slack import ids
from bot.views.chart import chart_message, chart_png, chart_title
from storage.models import Team
from storage.teams import find_team

logger = logging.getLogger(__name__)


def chart_command(args: Sequence[str], *, session: Session, now: datetime, client: WebClient) -> Answer:
    """The answer to `/okr status TEAM chart`."""
    name = team_name_of(args)
    if not name:
        return Answer.say("Which team? Type `/okr status TEAM chart`, e.g. `/okr status Growth chart`.")
    team = find_team(name, session=session)
    if team is None:
        return Answer.say(no_such_team(name, session=session))
    return _chart(team, session=session, now=now, client=client)


def chart_click(value: str, *, session: Session, now: datetime, client: WebClient) -> Answer:
    """The answer to a Chart button (value "team:<id>")."""
    team_id = ids.team_of_value(value)
    team = session.get(Team, team_id) if team_id is not None else None
    if team is None:
        return Answer.say("That team no longer exists. Type `/okr status` to see the teams there are.")
    return _chart(team, session=session, now=now, client=client)


def _chart(team: Team, *, session: Session, now: datetime, client: WebClient) -> Answer:
    chart = team_chart(team, session=session, now=now)
    if chart is None:
        return Answer.say("This team has no key results in a running cycle, so there is nothing to chart yet.")
    png = chart_png(chart)
    try:
        # files.getUploadURLExternal, the upload, then files.completeUploadExternal: shared with no channel, so
        # only the image block below shows it.
        uploaded = client.files_upload_v2(filename=f"okr-chart-{team.id}.png", content=png,
                                          title=chart_title(chart))
    except SlackApiError as exc:
        error = exc.response.get("error")
        logger.warning("chart upload for team %s refused by Slack (%s); the person was told", team.id, error)
        if error == "missing_scope":
            return Answer.say("okrbot cannot upload the chart: its token lacks the files:write scope. An admin can "
                              "add it under OAuth & Permissions and reinstall the app (`okrbot doctor` checks it).")
        return Answer.say(f"Slack refused the chart upload ({error}). Try again in a minute.")
    return Answer.say(*chart_message(chart, uploaded["file"]["id"]))
