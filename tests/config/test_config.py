"""load_config accepts the presets and refuses bad files with an error naming the key."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.config import edited_preset, refused
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminal.catalog import ReversalWindow
from terminal.config import load_config, parse_duration, preset_text, write_preset
from terminal.errors import ConfigError, ConfigExists, InvalidDuration, UnknownProduct


def test_preset_loads_with_every_section(tmp_path: Path) -> None:
    cfg = load_config(write_preset(tmp_path / "kiosk.toml", "si", terminal_id="40001"))
    assert cfg.terminal.id == "40001"
    assert re.fullmatch(r"[0-9a-f]{64}", cfg.terminal.key)
    assert cfg.terminal.market == "si"
    assert cfg.terminal.languages == ("sl", "en")
    assert cfg.terminal.timezone == "Europe/Ljubljana"
    assert cfg.store.path == tmp_path.resolve() / "kiosk.sqlite"
    assert cfg.printer.url == "tcp://127.0.0.1:9100"
    assert cfg.printer.profile == "TM-T88V"
    assert cfg.printer.width == 42
    assert cfg.printer.timeout_s == 5.0
    assert cfg.printer.language == "sl"
    assert cfg.host.url == "http://127.0.0.1:8700"
    assert (cfg.host.connect_timeout_s, cfg.host.read_timeout_s) == (3.0, 10.0)
    f = cfg.forwarder
    assert (f.batch_size, f.lease_s, f.backoff_base_s, f.backoff_cap_s) == (100, 30.0, 1.0, 300.0)
    assert (f.circuit_failures, f.circuit_cooldown_s) == (5, 30.0)
    topup = cfg.product("card-topup")
    assert (topup.min_minor, topup.max_minor, topup.step_minor) == (100, 100000, 1)  # from 1 EUR
    assert topup.tender == ("cash",)
    assert topup.reversal_window == ReversalWindow("duration", 300)
    assert topup.offline.allowed
    assert topup.offline.max_amount_minor == 10000
    assert topup.offline.max_unforwarded_total_minor == 30000
    assert topup.offline.max_age_s == 24 * 3600
    assert topup.id_check_above_minor == 25000
    assert topup.attempt_timeout_s == 120.0
    assert topup.display_name("sl") == "Polnitev kartice"
    assert topup.display_name("fi") == "Card top-up"


def test_key_is_not_shown_in_repr(tmp_path: Path) -> None:
    cfg = load_config(write_preset(tmp_path / "kiosk.toml", "rs"))
    assert cfg.terminal.key not in repr(cfg)
    assert cfg.terminal.key not in str(cfg.summary())


@pytest.mark.parametrize(
    ("edit", "key", "mentions"),
    [
        (('id = "40001"', 'id = "4001"'), "terminal.id", "exactly 5 digits"),
        (('id = "40001"', "id = 40001"), "terminal.id", "exactly 5 digits"),
        (('market = "si"', 'market = "hr"'), "terminal.market", '"si"'),
        (('language = "sl"', 'language = "de"'), "terminal.language", '"sr_Latn"'),
        (
            ('timezone = "Europe/Ljubljana"', 'timezone = "Europe/Lublana"'),
            "terminal.timezone",
            "IANA",
        ),
        (('locale = "sl_SI"', 'locale = "xx_YY"'), "terminal.locale", "Babel"),
        (('max = "1000.00"', "max = 1000.0"), "products.card-topup.max", "not a float"),
        (
            ('reversal_window = "5m"', 'reversal_window = "soon"'),
            "products.card-topup.reversal_window",
            "same_day",
        ),
        (("[products.card-sale]", "[products.gift-card]"), "products.gift-card", "card-topup"),
        (('url = "tcp://127.0.0.1:9100"', 'url = "lpt://1"'), "printer.url", "tcp://HOST:PORT"),
        (('url = "tcp://127.0.0.1:9100"', 'url = "tcp://127.0.0.1"'), "printer.url", "PORT"),
        (('url = "tcp://127.0.0.1:9100"', 'url = "usb://epson"'), "printer.url", "VID:PID"),
        (
            ('url = "tcp://127.0.0.1:9100"', 'url = "serial://ttyUSB0"'),
            "printer.url",
            "three slashes",
        ),
        (('profile = "TM-T88V"', 'profile = "TM-X1"'), "printer.profile", "python-escpos"),
        (('timeout = "5s"', "timeout = 5"), "printer.timeout", "unit"),
        (('url = "http://127.0.0.1:8700"', 'url = "ftp://host"'), "host.url", "http://"),
        (('url = "http://127.0.0.1:8700"', 'url = "http://host:port"'), "host.url", "http://"),
        (("batch_size = 100", "batch_size = 0"), "forwarder.batch_size", "from 1 to 1000"),
        (
            ('backoff_cap = "300s"', 'backoff_cap = "100ms"'),
            "forwarder.backoff_cap",
            "backoff_base",
        ),
        (('per = "100.00"', 'per = "0"'), "products.card-topup.fees[1].per", "above zero"),
        (('per = "100.00"', "per = 100.5"), "products.card-topup.fees[1].per", '"100.50"'),
        (
            ('rule = "per_started"', 'rule = "percent"'),
            "products.card-topup.fees[0].rule",
            '"bands"',
        ),
        (
            ('name = "pos_surcharge"', 'name = "topup_fee"'),
            "products.card-topup.fees[1].name",
            "own name",
        ),
        (
            ('{ upto = "247.00", amount = "3.00" }', '{ upto = "200.00", amount = "3.00" }'),
            "products.card-sale.fees[0].bands[1].upto",
            "max",
        ),
        (
            ('{ upto = "247.00", amount = "3.00" }', '{ upto = "20.00", amount = "3.00" }'),
            "products.card-sale.fees[0].bands[1].upto",
            "above the previous",
        ),
        (('from = "26.00"', 'from = "260.00"'), "products.card-sale.fees[1].to", "from"),
        (
            ('max_amount = "100.00"', 'max_amount = "1000.00"'),
            "products.card-topup.offline.max_unforwarded_total",
            "max_amount",
        ),
        (('max_age = "24h"', 'max_age = "a day"'), "products.card-topup.offline.max_age", "unit"),
        (
            ('policy = "allowed"', 'policy = "sometimes"'),
            "products.card-topup.offline.policy",
            '"forbidden"',
        ),
        (('tender = ["cash"]', 'tender = ["cheque"]'), "products.card-topup.tender", "cash"),
        (('step = "0.01"', 'step = "0.001"'), "products.card-topup.step", "decimals"),
        (
            ('min = "1.00"', 'min = "1.00"\nflavour = "mint"'),
            "products.card-topup.flavour",
            "no such setting",
        ),
        (
            ('min = "1.00"', 'min = "1.00"\nphone_prefixes = ["064"]'),
            "products.card-topup.phone_prefixes",
            "mobile top-up",
        ),
        (
            ('min = "1.00"', 'min = "1.00"\ntarget = "phone"'),
            "products.card-topup.target",
            "'card'",
        ),
        (('path = "kiosk.sqlite"', 'path = ""'), "store.path", "file path"),
        # each fee rule reads its own table: a flat fee has no `per`, a bands fee only bands
        (
            ('rule = "per_started"', 'rule = "flat"'),
            "products.card-topup.fees[0].per",
            "no such setting; it knows name, amount, from, to, rule",
        ),
        (
            ('rule = "bands"', 'rule = "bands"\namount = "1.00"'),
            "products.card-sale.fees[0].amount",
            "no such setting",
        ),
        (('rule = "bands"', 'rule = "flat"'), "products.card-sale.fees[0].amount", "is missing"),
        (('rule = "per_started"', ""), "products.card-topup.fees[0].rule", "is missing"),
        (
            ('bands = [{ upto = "25.00"', "bands = [{ upto = 25.5"),
            "products.card-sale.fees[0].bands[0].upto",
            "not a float",
        ),
        (('url = "tcp://127.0.0.1:9100"', 'url = "usb://04b8:0202?in_ep=2"'), "printer.url", "IN"),
        (("width = 42", 'width = "wide"'), "printer.width", "whole number"),
    ],
)
def test_bad_value_is_refused_naming_key_value_and_what_is_allowed(
    tmp_path: Path, edit: tuple[str, str], key: str, mentions: str
) -> None:
    error = refused(edited_preset(tmp_path, "si", edit))
    assert error.key == key
    assert f"{key} " in str(error)
    assert mentions in str(error)
    assert error.code == "config_error"


def test_float_amount_message_says_to_write_a_string(tmp_path: Path) -> None:
    error = refused(edited_preset(tmp_path, "si", ('amount = "1.00"', "amount = 1.0")))
    assert str(error).endswith(
        "products.card-topup.fees[0].amount = 1.0 is not allowed: write the amount as a string "
        'such as "1.00", not a float (a float cannot hold every cent).'
    )


def test_bad_key_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = write_preset(tmp_path / "kiosk.toml", "fi")
    text = path.read_text("utf-8")
    secret = load_config(path).terminal.key
    path.write_text(text.replace(secret, secret[:20] + "zz"), "utf-8")
    error = refused(path)
    assert error.key == "terminal.key"
    assert secret[:20] not in str(error)
    assert "kiosk init" in str(error)


def test_missing_file_tells_how_to_create_one(tmp_path: Path) -> None:
    error = refused(tmp_path / "nowhere.toml")
    assert error.code == "config_missing"
    assert "kiosk init --market" in str(error)


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[terminal\nid = 1\n", "utf-8")
    assert "not valid TOML" in str(refused(path))


def test_missing_products_arerefused(tmp_path: Path) -> None:
    text = preset_text("rs").split("# Top-up of a Serbian")[0]
    path = tmp_path / "kiosk.toml"
    key = "ab" * 32
    path.write_text(text.replace("@TERMINAL_ID@", "12345").replace("@TERMINAL_KEY@", key))
    error = refused(path)
    assert error.key == "products"


def test_relative_store_path_is_relative_to_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "etc"
    cfg = load_config(write_preset(folder / "kiosk.toml", "az"))
    assert cfg.store.path == folder.resolve() / "kiosk.sqlite"
    path = edited_preset(
        tmp_path, "az", ('path = "kiosk.sqlite"', f'path = "{tmp_path}/data/k.db"')
    )
    assert load_config(path).store.path == tmp_path / "data" / "k.db"


def test_other_printer_urls_are_accepted(tmp_path: Path) -> None:
    for url in ("usb://04b8:0202", "serial:///dev/ttyUSB0?baudrate=19200", "file:///dev/usb/lp0"):
        path = edited_preset(tmp_path, "si", ('url = "tcp://127.0.0.1:9100"', f'url = "{url}"'))
        assert load_config(path).printer.url == url


def test_unknown_top_level_tables_are_kept_for_their_owner(tmp_path: Path) -> None:
    path = edited_preset(tmp_path, "si", ("[store]", '[ui]\ntheme = "dark"\n\n[store]'))
    assert load_config(path).sections["ui"] == {"theme": "dark"}


def test_terminal_wide_id_check_is_inherited_unless_the_product_says_none(tmp_path: Path) -> None:
    path = edited_preset(
        tmp_path, "si", ('step = "1.00"', 'step = "1.00"\nid_check_above = "none"')
    )
    cfg = load_config(path)
    assert cfg.product("card-topup").id_check_above_minor == 25000
    assert cfg.product("card-sale").id_check_above_minor is None


def test_offline_forbidden_as_a_string(tmp_path: Path) -> None:
    cfg = load_config(write_preset(tmp_path / "kiosk.toml", "si"))
    assert not cfg.product("card-sale").offline.allowed


def test_unknown_product_lookup_names_what_is_sold(tmp_path: Path) -> None:
    cfg = load_config(write_preset(tmp_path / "kiosk.toml", "fi"))
    with pytest.raises(UnknownProduct, match="benefit-payment"):
        cfg.product("card-topup")


def test_write_preset_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = write_preset(tmp_path / "kiosk.toml", "si")
    first_key = load_config(path).terminal.key
    with pytest.raises(ConfigExists, match="--force"):
        write_preset(path, "rs")
    assert load_config(path).terminal.market == "si"
    write_preset(path, "rs", terminal_id="00042", force=True)
    cfg = load_config(path)
    assert (cfg.terminal.market, cfg.terminal.id) == ("rs", "00042")
    assert cfg.terminal.key != first_key
    assert path.stat().st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir()] == ["kiosk.toml"]


def test_write_preset_refuses_a_folder_or_an_unwritable_place(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        write_preset(tmp_path, "si", force=True)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", "utf-8")
    with pytest.raises(ConfigError, match="Cannot write"):
        write_preset(blocker / "kiosk.toml", "si")


@pytest.mark.parametrize("bad", ["1234", "123456", "abcde"])
def test_write_preset_refuses_bad_terminal_id(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="exactly 5 digits"):
        write_preset(tmp_path / "kiosk.toml", "si", terminal_id=bad)
    assert not (tmp_path / "kiosk.toml").exists()


def test_write_preset_refuses_unknown_market(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="si, rs, az, fi"):
        write_preset(tmp_path / "kiosk.toml", "hr")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5s", 5.0),
        ("500ms", 0.5),
        ("5m", 300.0),
        ("24h", 86400.0),
        ("1d", 86400.0),
        ("1h30m", 5400.0),
        (" 90s ", 90.0),
        ("0.5s", 0.5),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5", "", "s", "5 minutes", "-5s", "5x", "m5", "9" * 400 + "s"])
def test_parse_duration_refuses_text_without_unit(text: str) -> None:
    with pytest.raises(InvalidDuration, match='"5s"'):
        parse_duration(text)


def test_reversal_window_duration() -> None:
    window = ReversalWindow("duration", 300)
    printed = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert window.is_open(printed, printed + timedelta(seconds=300), "Europe/Ljubljana")
    assert not window.is_open(printed, printed + timedelta(seconds=301), "Europe/Ljubljana")


def test_reversal_window_same_day_is_the_terminals_local_day() -> None:
    window = ReversalWindow("same_day")
    # 21:30 UTC is 23:30 in Helsinki (UTC+2 in November); 22:00 UTC is already tomorrow there.
    printed = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)
    assert window.is_open(printed, datetime(2026, 11, 22, 21, 59, tzinfo=UTC), "Europe/Helsinki")
    assert not window.is_open(printed, datetime(2026, 11, 22, 22, 0, tzinfo=UTC), "Europe/Helsinki")
    assert window.is_open(printed, datetime(2026, 11, 22, 22, 0, tzinfo=UTC), "UTC")


def test_reversal_window_none_never_opens() -> None:
    printed = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert not ReversalWindow("none").is_open(printed, printed, "Asia/Baku")


# --- no traceback, whatever the file says ----------------------------------------------------


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml(document: dict[str, object]) -> str:
    lines = []
    for name, table in document.items():
        assert isinstance(table, dict)
        lines.append(f"[{json.dumps(name)}]")
        lines.extend(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


_SCALARS = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["", "none", "same_day", "5m", "0s", "1.00", "-1.00", "abc", "tcp://:0"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_edit_loads_or_gives_a_config_error(tmp_path: Path, data: st.DataObject) -> None:
    market = data.draw(st.sampled_from(["si", "rs", "az", "fi"]))
    text = preset_text(market).replace("@TERMINAL_ID@", "12345")
    document = tomllib.loads(text.replace("@TERMINAL_KEY@", "ab" * 32))
    path_to_edit = data.draw(st.sampled_from(_paths(document)))
    parent: Any = document
    for step in path_to_edit[:-1]:
        parent = parent[step]
    last = path_to_edit[-1]
    if data.draw(st.booleans()) and isinstance(parent, dict) and len(path_to_edit) > 1:
        del parent[last]
    else:
        parent[last] = data.draw(_VALUES)
    if not all(isinstance(table, dict) for table in document.values()):
        return  # a top-level scalar cannot be written as a [table]; tomllib covers that case
    config_file = tmp_path / "fuzz.toml"
    config_file.write_text(_toml(document), "utf-8")
    try:
        load_config(config_file)
    except ConfigError as error:
        assert str(error) and "Traceback" not in str(error)
