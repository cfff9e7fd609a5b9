"""The REPL in a real pseudo-terminal: issue 4's 'done when' list, behaviour by behaviour."""

import subprocess

import pexpect

from conftest import BINARY, COLOUR, CONTINUATION, KEY_UP, Repl, query

SEED = ["x = -2", "w = param(2)", "b = param(8)", "y = 2", "c = w * x", "a = c + b", "d = a - y", "J = 0.5 * d^2", "backward J"]


def type_seed(repl):
    for number, line in enumerate(SEED, start=1):
        repl.run(line, number + 1)


def test_seed_example_typed_line_by_line_gives_minus_four(repl):
    type_seed(repl)
    output = repl.run("grad(J, w)", 11)
    assert "Out[10]: -4\r\n" in output
    assert repl.exit() == 0


def test_an_open_bracket_continues_the_cell(repl):
    repl.child.sendline("v = [1,")
    repl.child.expect(CONTINUATION)
    repl.child.sendline("     2,")
    repl.child.expect(CONTINUATION)
    # The next line starts with the indent of the one before, as in IPython.
    output = repl.run("3]", 2)
    assert "v = [1, 2, 3]" in output
    assert query(repl.database, "SELECT source FROM cells") == [("v = [1,\n     2,\n     3]",)]


def test_a_cell_magic_takes_lines_until_an_empty_one(repl):
    repl.run("x = 3", 2)
    repl.child.sendline("%%sql")
    repl.child.expect(CONTINUATION)
    repl.child.sendline("SELECT name AS defined")
    repl.child.expect(CONTINUATION)
    repl.child.sendline("FROM nodes")
    repl.child.expect(CONTINUATION)
    output = repl.run("", 3)
    assert "| defined |" in output and "| x       |" in output


def test_tab_completes_gradch_to_gradcheck(repl):
    # `gradcheck?` shows the built-in's documentation only if Tab wrote the whole name.
    repl.child.send("gradch\t")
    repl.child.expect_exact("eck")
    output = repl.run("?", 2)
    assert "gradcheck(J, eps=1e-6)" in output


def test_tab_completes_node_names(repl):
    repl.run("learning_rate = 0.5", 2)
    repl.child.send("learn\t")
    repl.child.expect_exact("ing_rate")
    assert "Out[2]: 1" in repl.run(" * 2", 3)


def test_tab_completes_keyword_arguments_of_the_enclosing_call(repl):
    repl.child.send("r = randn(3, se\t")
    repl.child.expect_exact("ed=")
    output = repl.run("7)", 2)
    assert "r = [" in output and "error" not in output
    assert query(repl.database, "SELECT source FROM cells") == [("r = randn(3, seed=7)",)]


def test_tab_completes_magics_and_lists_choices(repl):
    repl.run("weights = 1", 2)
    repl.child.send("%wh\t")
    output = repl.run("", 3)
    assert "weights" in output and "param" in output  # %who's table
    repl.child.send("%h\t")
    repl.child.expect("help")
    repl.child.expect("history")
    repl.child.sendcontrol("c")
    repl.prompt(3)


def test_name_question_mark_inspects_a_node(repl):
    type_seed(repl)
    output = repl.run("w?", 11)
    assert "w: param defined in cell 2" in output
    assert "gradient:   -4" in output


def test_ctrl_c_stops_a_long_train_and_the_next_cell_works(repl):
    type_seed(repl)
    repl.child.sendline("train(J, steps=100000000)")
    # The progress line is drawn once training has run a while: Ctrl-C lands mid-training.
    repl.child.expect_exact("(Ctrl-C stops)", timeout=60)
    repl.child.sendintr()
    repl.prompt(11, timeout=60)
    assert "interrupted after" in repl.child.before
    output = repl.run("grad(J, w)", 12)
    assert "Out[11]: " in output and "error" not in output
    (steps,) = query(repl.database, "SELECT count(*) FROM runs WHERE kind = 'train'")[0]
    assert steps > 0
    assert repl.exit() == 0


def test_ctrl_c_at_the_prompt_clears_the_line(repl):
    repl.child.send("never = 1")
    repl.child.expect_exact("never = 1")
    repl.child.sendcontrol("c")
    repl.child.expect(r"\^C")
    repl.prompt(1)
    repl.child.sendline("x = [1,")
    repl.child.expect(CONTINUATION)
    repl.child.sendcontrol("c")
    repl.prompt(1)
    repl.run("kept = 2", 2)
    assert query(repl.database, "SELECT source FROM cells") == [("kept = 2",)]


def test_up_recalls_the_last_cell_also_in_a_new_session(repl, database):
    assert "Out[1]: 42" in repl.run("41 + 1", 2)
    repl.child.send(KEY_UP)
    assert "Out[2]: 42" in repl.run("", 3)
    assert repl.exit() == 0

    second = Repl(database)
    second.prompt(1)
    second.child.send(KEY_UP)
    assert "Out[1]: 42" in second.run("", 2)
    assert second.exit() == 0


def test_up_recalls_a_multi_line_cell_as_one_entry(repl, database):
    repl.child.sendline("m = [1,")
    repl.child.expect(CONTINUATION)
    repl.run("2]", 2)
    assert repl.exit() == 0
    second = Repl(database)
    second.prompt(1)
    second.child.send(KEY_UP)
    assert "m = [1, 2]" in second.run("", 2)
    second.exit()


def test_history_magic_lists_cells_of_earlier_sessions(repl, database):
    repl.run("first = 1", 2)
    assert repl.exit() == 0
    second = Repl(database)
    second.prompt(1)
    output = second.run("%history", 2)
    assert "[1:1] first = 1" in output
    second.exit()


def test_ctrl_r_searches_history(repl):
    repl.run("needle = 5", 2)
    repl.run("other = 6", 3)
    repl.child.sendcontrol("r")
    repl.child.send("needle")
    assert "needle = 5" in repl.run("", 4)


def test_sql_magic_shows_a_table(repl):
    repl.run("x = 3", 2)
    output = repl.run("%sql SELECT name, op FROM nodes", 3)
    assert "| name | op   |" in output
    assert "| x    | leaf |" in output


def test_ctrl_d_exits_zero_and_ends_the_session(repl):
    repl.run("x = 1", 2)
    assert repl.exit() == 0
    assert query(repl.database, "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL") == [(1,)]


def test_errors_are_shown_and_the_session_goes_on(repl):
    output = repl.run("J = undefined_name * 2", 2)
    assert "1:5" in output and "^" in output
    assert "x = 1" in repl.run("x = 1", 3)


def test_no_color_turns_colours_off(database):
    plain = Repl(database)
    plain.prompt(1)
    plain.run("41 + 1", 2)
    plain.exit()
    assert not COLOUR.search(plain.text)

    coloured = Repl(database, colour=True)
    coloured.child.expect(r"\x1b\[32mIn \[")
    coloured.child.sendline("41 + 1")
    coloured.child.expect(r"\x1b\[31mOut\[")
    assert coloured.exit() == 0


def test_piped_input_runs_as_a_script_without_prompts(database):
    script = "\n".join(SEED + ["grad(J, w)", "nope", "print(1)"]) + "\n"
    result = subprocess.run([BINARY, "repl", "--db", str(database)], input=script, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-2:] == ["-4", "1"]
    assert "In [" not in result.stdout and "\x1b" not in result.stdout + result.stderr
    assert "unknown" in result.stderr


def test_piped_input_without_errors_exits_zero(database):
    result = subprocess.run([BINARY, "repl", "--db", str(database)], input="x = 2\nx * 3\n", capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout == "x = 2\n6\n"


def test_line_editing_keys(repl):
    home, end, left, right = "\x1b[H", "\x1b[F", "\x1b[D", "\x1b[C"
    cases = [
        ("2 * 3" + "\x01" + "1" + "\x05" + "0", "360"),  # Ctrl-A, Ctrl-E
        ("1 + 2" + home + "9" + end + "0", "111"),  # Home, End
        ("7 * 100" + "\x01" + right + "\x0b", "7"),  # Ctrl-K kills to the end
        ("junk" + "\x15" + "8", "8"),  # Ctrl-U kills to the start
        ("3 + foo" + "\x17" + "4", "7"),  # Ctrl-W deletes the word before the cursor
        ("5 + 6" + left * 4 + "0", "56"),  # Left arrow
    ]
    for number, (keys, value) in enumerate(cases, start=1):
        repl.child.send(keys)
        output = repl.run("", number + 1)
        assert "Out[%d]: %s\r\n" % (number, value) in output


def chart_lines(output):
    """The lines of a chart in a cell's output: its axes, its plot rows and its legend."""
    lines = [COLOUR.sub("", line) for line in output.split("\r\n")]
    return [line for line in lines if any(mark in line for mark in ("┤", "│", "└", "── "))]


def test_plot_and_the_loss_curve_fit_the_terminal_and_follow_a_resize(repl):
    repl.run("w = param(3)", 2)
    repl.run("J = (w - 1)^2", 3)
    repl.child.setwinsize(40, 70)
    trained = chart_lines(repl.run("train(J, steps=30, lr=0.1)", 4))
    assert trained and max(map(len, trained)) == 70, trained
    assert any("└┬" in line for line in trained) and trained[-1] == "── J"
    for number, width in ((5, 70), (6, 110)):
        repl.child.setwinsize(40, width)
        lines = chart_lines(repl.run("%plot SELECT step, loss FROM train_steps", number))
        assert all(len(line) <= width for line in lines) and max(map(len, lines)) == width, lines
        assert lines[-1] == "── loss"
    assert "\x1b[3" not in repl.text.split("%plot", 1)[1], "NO_COLOR: the chart has no colours"


def test_plot_colours_its_series_on_a_colour_terminal(database):
    coloured = Repl(database, colour=True)

    def run(line, number):
        coloured.child.sendline(line)
        coloured.child.expect(r"In \[\x1b\[0m\x1b\[1;32m%d\x1b" % number)
        return coloured.child.before

    coloured.child.expect(r"\x1b\[32mIn \[")
    run("w = param(3)", 2)
    run("J = (w - 1)^2", 3)
    run("train(J, steps=10, lr=0.1)", 4)
    output = run("%plot SELECT step, loss FROM train_steps", 5)
    assert "\x1b[34m──\x1b[0m loss" in output
    assert coloured.exit() == 0
