import pytest

from bot.settings import DEFAULT_API_URL, SettingsError, load_settings


def test_defaults():
    s = load_settings({})
    assert (s.api_url, s.database_url, s.port, s.scheduler, s.socket_mode) == (
        DEFAULT_API_URL, "sqlite:///okrbot.db", 3000, True, False)


def test_values_are_read_and_normalised():
    s = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "sec", "SLACK_APP_TOKEN": "xapp-1",
                       "SLACK_API_URL": "http://127.0.0.1:9/api", "DATABASE_URL": "postgresql+psycopg://u@h/db",
                       "PORT": "8080", "OKRBOT_SCHEDULER": "OFF"})
    assert s.api_url == "http://127.0.0.1:9/api/" and s.port == 8080 and not s.scheduler and s.socket_mode


@pytest.mark.parametrize("env, variable", [
    ({"PORT": "eighty"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"OKRBOT_SCHEDULER": "maybe"}, "OKRBOT_SCHEDULER"),
    ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
    ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
    ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
    ({"SLACK_BOT_TOKEN": "hunter2"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
])
def test_malformed_settings_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    message = str(err.value)
    assert message.startswith(variable) and message.endswith(".")
    assert "hunter2" not in message


def test_http_serving_needs_token_and_signing_secret():
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        load_settings({}).require_serving()
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}).require_serving()
    load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).require_serving()  # Socket Mode


def test_repr_hides_secrets():
    s = load_settings({"SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_SIGNING_SECRET": "topsecret",
                       "DATABASE_URL": "postgresql+psycopg://u:pw123@h/db"})
    text = repr(s)
    assert "xoxb-secret" not in text and "topsecret" not in text and "pw123" not in text


def test_oauth_credentials_switch_to_multi_workspace_mode():
    s = load_settings({"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "cs-secret",
                       "SLACK_SIGNING_SECRET": "sec", "SLACK_REDIRECT_URI": "https://okr.example.com/slack/oauth_redirect"})
    assert s.multi_workspace and s.bot_token is None
    s.require_serving()
    assert "cs-secret" not in repr(s) and "multi_workspace=True" in repr(s)
    with pytest.raises(SettingsError, match="--workspace"):
        s.require_bot_token()


@pytest.mark.parametrize("env, variable", [
    ({"SLACK_CLIENT_ID": "111.222"}, "SLACK_CLIENT_SECRET"),
    ({"SLACK_CLIENT_SECRET": "cs-secret"}, "SLACK_CLIENT_ID"),
    ({"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "cs-secret", "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "cs-secret", "SLACK_REDIRECT_URI": "okr.example.com"},
     "SLACK_REDIRECT_URI"),
])
def test_oauth_settings_must_be_complete_and_unambiguous(env, variable):
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert str(err.value).startswith(variable) and "cs-secret" not in str(err.value)


def test_multi_workspace_serving_needs_http_and_a_signing_secret():
    oauth = {"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "cs-secret"}
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        load_settings(oauth).require_serving()
    with pytest.raises(SettingsError, match="unset SLACK_APP_TOKEN"):
        load_settings({**oauth, "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "sec"}).require_serving()
