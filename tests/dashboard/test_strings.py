"""The control room's strings in one place (components/strings) and its `<html lang>`."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import pytest

from app import create_app
from components import layout, strings
from settings import Settings, SettingsError
from store.db import make_engine
from store.migrate import upgrade
from store.users import add_user
from tests.dashboard.conftest import PASSWORD, make_settings, signed_in
from tests.store.seed import add_feeder

FEEDER = "KL-TVM-0001"
LANG: re.Pattern[str] = re.compile(r'<html lang="([a-z]+)"')


@pytest.fixture(params=["en", "ml"])
def app_in(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dash.Dash, str]]:
    """Return an app whose interface language is the parameter, and that language."""
    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        add_user(conn, "ada", PASSWORD, "admin")
        add_feeder(conn, FEEDER)
    yield create_app(make_settings(url, ui_lang=request.param), engine=engine), request.param
    engine.dispose()


def test_every_page_and_the_sign_in_page_say_their_language(
    app_in: tuple[dash.Dash, str],
) -> None:
    app, lang = app_in
    anonymous = app.server.test_client()
    assert LANG.findall(anonymous.get("/login").get_data(as_text=True)) == [lang]
    client = signed_in(app, "admin")
    for path in ("/", "/alerts", "/log", "/wall"):
        body = client.get(path).get_data(as_text=True)
        assert LANG.findall(body) == [lang], path


def test_the_index_string_keeps_every_dash_placeholder() -> None:
    default = dash.Dash(__name__).index_string
    placeholders = set(re.findall(r"{%[a-z_]+%}", default))
    mine = layout.index_string("ml")
    assert placeholders <= set(re.findall(r"{%[a-z_]+%}", mine))
    assert LANG.findall(mine) == ["ml"]
    with pytest.raises(ValueError, match="lang"):
        layout.index_string("fr")


def test_an_unknown_interface_language_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="SP_UI_LANG"):
        Settings.from_env({"SP_UI_LANG": "fr"})


def test_a_translation_has_only_english_keys_and_the_same_fields() -> None:
    for lang in strings.LANGUAGES:
        own = strings.strings(lang)
        assert set(own) == set(strings.EN)
        for key, template in own.items():
            assert strings.fields_of(template) == strings.fields_of(strings.EN[key]), key


def _fields(template: str) -> list[tuple[str, str | None, str | None]]:
    """Return each field of a template as written: its name, format spec and conversion."""
    return sorted(
        (name, spec, conversion)
        for _, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    )


MALAYALAM: re.Pattern[str] = re.compile("[\u0d00-\u0d7f]")
"""A letter of the Malayalam script."""


def test_malayalam_translates_every_english_string_with_its_fields() -> None:
    assert set(strings.ML) <= set(strings.EN)
    assert set(strings.ML) | strings.SAME_IN_EVERY_LANGUAGE == set(strings.EN)
    assert not set(strings.ML) & strings.SAME_IN_EVERY_LANGUAGE
    assert len(strings.SAME_IN_EVERY_LANGUAGE) <= 10  # a short list, each a deliberate choice
    for key, template in strings.ML.items():
        assert strings.fields_of(template) == strings.fields_of(strings.EN[key]), key
        assert _fields(template) == _fields(strings.EN[key]), key
        assert MALAYALAM.search(template), key
    for key in strings.SAME_IN_EVERY_LANGUAGE:
        assert not MALAYALAM.search(strings.EN[key]), key
        assert strings.text(key, "ml") == strings.EN[key]


def test_a_translation_keeps_the_spaces_that_join_it_to_its_neighbours() -> None:
    for key, template in strings.ML.items():
        english = strings.EN[key]
        assert template.startswith(" ") == english.startswith(" "), key
        assert template.endswith(" ") == english.endswith(" "), key


def test_text_fills_a_malayalam_template() -> None:
    assert strings.text("denied", "ml", role="admin") == "ഈ പേജിന് admin റോൾ ആവശ്യമാണ്."
    assert strings.text("wall_more", "ml", count=3) == "+3 എണ്ണം കൂടി"
    assert strings.text("nav_alerts", "en") == "Alerts"


def test_a_missing_translation_reads_in_english() -> None:
    missing = next((k for k in strings.EN if k not in strings.ML), None)
    if missing is None:
        pytest.skip("every string has its Malayalam translation")
    assert strings.text(missing, "ml") == strings.EN[missing]
    assert strings.text("denied", "en", role="admin") == "This page needs the admin role."
    with pytest.raises(ValueError, match="lang"):
        strings.strings("fr")


def test_the_shell_and_sign_in_page_read_their_words_from_the_strings() -> None:
    source = (Path(layout.__file__).read_text(), Path(strings.__file__).read_text())
    for label in ("Log out", "Notifications", "open alerts no operator"):
        assert label not in source[0]
        assert label in source[1]


def _words(component: Any) -> list[str]:
    """Return every text a Dash component tree shows: children, labels, placeholders, titles,
    table headings and the options' labels."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key in ("label", "name"):
                if isinstance(node.get(key), str):
                    found.append(node[key])
        elif hasattr(node, "to_plotly_json"):
            props = node.to_plotly_json()["props"]
            for key in ("children", "placeholder", "title", "columns"):
                walk(props.get(key))
            walk([o for o in props.get("options") or () if isinstance(o, dict)])

    walk(component)
    return [w for w in found if w.strip()]


@pytest.fixture
def translated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give every string a stand-in Malayalam translation: "ML:" and the English."""
    stand_in = {key: "ML:" + value if value else value for key, value in strings.EN.items()}
    monkeypatch.setitem(strings._ALL, "ml", stand_in)


@pytest.mark.usefixtures("translated")
@pytest.mark.parametrize("app_in", ["ml"], indirect=True)
def test_the_pages_show_the_translation_of_every_label(
    app_in: tuple[dash.Dash, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from components import access, notify_view  # noqa: PLC0415
    from pages import alerts, feeder, log, notifications, reports, users, wall  # noqa: PLC0415
    from pages import map as map_page  # noqa: PLC0415

    app, _ = app_in
    monkeypatch.setattr(access, "has_role", lambda *_args, **_kwargs: True)  # an admin's view
    with app.server.test_request_context("/"):
        shown = {
            "reports": _words(reports.layout()),
            "notifications": _words(notifications.layout()),
            "users": _words(users.layout()),
            "tables": _words(
                [notify_view.build_routes([], True), notify_view.build_deliveries([], True)]
            ),
            "shell": _words(layout.build_header(None, 3)),
            "alerts": _words(alerts.layout()),
            "log": _words(log.layout()),
            "feeder": _words(feeder.layout(FEEDER)),
            "no feeder": _words(feeder.layout("KL-NONE-0001")),
            "map": _words(map_page.layout()),
            "wall": _words(wall.layout()),
        }
        assert strings.page_title("log_title")() == "ML:SmartPhase · ML:Log"
    english = {value for value in strings.EN.values() if value.strip()}
    left_in_english = {page: sorted(set(words) & english) for page, words in shown.items()}
    assert left_in_english == {page: [] for page in shown}
    assert all(any(w.startswith("ML:") for w in words) for words in shown.values())


@pytest.mark.parametrize("lang", strings.LANGUAGES)
def test_the_map_s_legend_tooltips_and_counts_read_in_the_language(lang: str) -> None:
    from components import feeder_map  # noqa: PLC0415

    legend = " ".join(_words(feeder_map.build_legend({"unbalanced": 3}, lang=lang)))
    assert feeder_map.state_meaning("unbalanced", lang) in legend
    assert "20 %" in feeder_map.state_meaning("unbalanced", lang)  # the threshold filled in
    assert feeder_map.legend_rule(lang) in legend
    assert "29 A" in feeder_map.legend_rule(lang)  # at the reference 100 kVA
    assert "67 %" in feeder_map.legend_rule(lang)  # the loading 20 % unbalance needs
    wall = " ".join(_words(feeder_map.build_legend(wall=True, lang=lang)))
    assert strings.text("map_credit_short", lang) in wall
    hideout = feeder_map.hideout(lang)
    assert hideout["labels"]["overloaded"] == strings.text("state_overloaded", lang)
    assert hideout["words"]["neutral"] == strings.text("map_tip_neutral", lang)
    templates = feeder_map.match_templates(lang)
    assert templates["data-some"] == strings.text("map_shown_some", lang)
    shown = strings.text("map_shown_some", lang, shown="1", total="2")
    said = legend + shown + str(hideout["words"])
    assert bool(MALAYALAM.search(said)) == (lang == "ml")
    if lang == "ml":
        for english in ("rated phase current", "feeders shown", "Neutral", "active alert"):
            assert english not in said + str(hideout["labels"]), english


def test_the_browser_fills_templates_whose_fields_it_knows() -> None:
    # assets/wall.js fills plain {name} fields: the templates it is sent have no conversion.
    sent = [
        *(k for k in strings.EN if k.startswith(("map_tip_", "map_shown_", "wall_"))),
        "map_no_match",
    ]
    for lang in strings.LANGUAGES:
        for key in sent:
            fields = _fields(strings.text(key, lang))
            assert all(conv is None and not spec for _, spec, conv in fields), key


def test_a_clock_is_written_as_its_language_says() -> None:
    assert strings.clock_format("en") == ("en-IN", "h12")
    assert strings.clock_format("ml") == ("ml-IN", "h23")  # 24 hours: no Latin am/pm
    assert strings.clock_format() == strings.clock_format("en")  # outside a request


def test_refusals_are_english_records_with_a_translation_each() -> None:
    from store import commands, moves  # noqa: PLC0415

    for key, english in {**commands.ERRORS, **moves.ERRORS}.items():
        assert strings.EN[key] == english
        assert key in strings.ML


LATIN_TERMS: re.Pattern[str] = re.compile(r"\b(?:IST|kVA|PV|CSV|PDF|TOTP|SMS|RYB)\b")
"""Technical terms that stay in Latin letters in every language."""
WORD: re.Pattern[str] = re.compile(r"[A-Za-z]{2,}")
SHOWN_PROPS: frozenset[str] = frozenset({"children", "placeholder", "label", "title", "empty"})
"""The keyword arguments whose text a page shows."""
SHOWN_FIRST: frozenset[str] = frozenset({"field", "row_button", "build_page", "download_button"})
"""The project's builders whose first argument is shown text."""
LITERALS_ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("alerts", "KL-TVM-0042"),  # an example feeder id, the same in every language
    }
)
"""(module, literal) pairs a page may show as they are: data."""


def _constants(node: ast.AST) -> Iterator[ast.Constant]:
    """Yield the string constants an argument shows as they are (not those passed to a call,
    used as a key or compared)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif not isinstance(
        node,
        ast.Call
        | ast.Subscript
        | ast.Compare
        | ast.Dict
        | ast.Lambda
        | ast.Attribute
        | ast.comprehension,
    ):
        for child in ast.iter_child_nodes(node):
            yield from _constants(child)


def _shown_arguments(node: ast.Call) -> list[ast.expr]:
    """Return the arguments of a call whose text a page shows."""
    func = node.func
    owner = (
        func.value.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
        else ""
    )
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    shown: list[ast.expr] = [k.value for k in node.keywords if k.arg in SHOWN_PROPS]
    if node.args and (owner in ("html", "dcc") or name in SHOWN_FIRST):
        shown.append(node.args[0])
    if owner in ("html", "dcc") or name in SHOWN_FIRST or name == "build_table":
        return shown
    return [k.value for k in node.keywords if k.arg == "failed"]


def english_literals(source: str) -> list[tuple[int, str]]:
    """Return the words in Latin letters a module shows as literals in Dash components: as
    their children, label, placeholder or title, as an option's label, a field's label, a
    table's empty text or a change's failure (technical terms such as kVA left out)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        shown: list[ast.expr] = []
        if isinstance(node, ast.Call):
            shown = _shown_arguments(node)
        elif isinstance(node, ast.Dict):
            shown = [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "label"
            ]
        for argument in shown:
            for constant in _constants(argument):
                value = str(constant.value)
                if WORD.search(LATIN_TERMS.sub("", value)):
                    found.append((constant.lineno, value))
    return found


def test_the_scan_finds_an_english_label_and_passes_a_keyed_one() -> None:
    source = (
        'html.Button("Add user", id="x")\n'
        'field("Role", dcc.Dropdown(placeholder="choose"))\n'
        'dcc.RadioItems(options=[{"label": "Weekly", "value": "weekly"}])\n'
        'html.Td(ist_text(t) + " IST", className="sp-nowrap")\n'
        'html.H2(text("users_title"))\n'
        'build_table(COLUMNS, rows, empty="No users.")\n'
    )
    assert sorted(english_literals(source)) == [
        (1, "Add user"), (2, "Role"), (2, "choose"), (3, "Weekly"), (6, "No users."),
    ]  # fmt: skip


ROOT: Path = Path(__file__).resolve().parents[2]


def test_no_page_shows_an_english_literal() -> None:
    modules = sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "components").glob("*.py")])
    assert len(modules) > 20
    left = {
        f"{path.relative_to(ROOT)}:{line}": value
        for path in modules
        for line, value in english_literals(path.read_text())
        if (path.stem, value) not in LITERALS_ALLOWED
    }
    assert left == {}


def test_a_date_says_its_month_in_the_language() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from components.feeder_charts import ist_text  # noqa: PLC0415

    at = datetime(2025, 12, 7, 10, 16, 50, tzinfo=UTC)  # 15:46:50 IST
    assert ist_text(at, lang="en") == "07 Dec 15:46:50"
    assert ist_text(at, seconds=False, lang="ml") == "07 ഡിസം 15:46"
    for month in range(1, 13):
        day = datetime(2025, month, 21, 6, 0, tzinfo=UTC)
        assert ist_text(day, lang="en") == f"{day:%d %b} 11:30:00"  # English as before
        assert strings.text(f"month_{month}", "ml") in ist_text(day, lang="ml")
    assert len({strings.text(f"month_{m}", "ml") for m in range(1, 13)}) == 12


def test_a_reason_code_reads_in_words_in_the_language() -> None:
    assert strings.reason_words("did_not_help", "en") == "did not help"
    assert MALAYALAM.search(strings.reason_words("did_not_help", "ml"))
    assert strings.reason_words("interlock_min_dwell", "en") == "too soon after its last switch"
    assert strings.reason_words("a_new_code", "ml") == "a new code"  # no key: its words
    assert strings.reason_words(None) == ""
