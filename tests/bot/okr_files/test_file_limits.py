"""OKR files nested absurdly deep or absurdly long are refused with a file:line sentence, by lint and import."""

import pytest

from bot import cli

DEEP_FLOW = "cycle: " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_BLOCK = "cycle:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(40)) + "  " * 41 + "end: 1\n"


def no_serve(_settings):
    raise AssertionError("serve must not run")


@pytest.mark.parametrize("text,line", [(DEEP_FLOW, 1), (DEEP_BLOCK, 32)], ids=["flow-5000", "block-40"])
@pytest.mark.parametrize("command", ["lint", "import"])
def test_deep_nesting_is_one_sentence_naming_the_line(tmp_path, capsys, command, text, line):
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    code = cli.main([command, str(path)], serve=no_serve, env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}:{line}: file: the YAML nests deeper than 32 levels here" in err
    assert "Traceback" not in err and "RecursionError" not in err


@pytest.mark.parametrize("command", ["lint", "import"])
def test_a_file_over_5_mb_is_refused_at_the_line_it_crosses_the_limit(tmp_path, capsys, command):
    path = tmp_path / "huge.yaml"
    line = "# padding padding padding padding padding padding padding padding\n"
    path.write_text(line * 100_000)
    code = cli.main([command, str(path)], serve=no_serve, env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}:{5_000_000 // len(line) + 1}: file: the file is longer than 5 MB" in err
