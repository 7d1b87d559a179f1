"""Command-line flags made from the settings' declarations in training/config.py: each flag's type,
default, choices and help come from its setting, never typed a second time."""

import argparse
import re
import types
import typing

from .config import settings


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _base_type(annotation):
    """`int | None` -> int; `tuple[float, float] | None` -> float."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)] if isinstance(
        annotation, types.UnionType) else [annotation]
    kind = args[0]
    return typing.get_args(kind)[0] if typing.get_origin(kind) is tuple else kind


def _options(f) -> dict:
    """The argparse options of setting `f`."""
    meta = f.metadata
    help_text = meta["help"]() if callable(meta["help"]) else meta["help"]
    kind = _base_type(f.type)
    options = {"dest": f.name, "default": f.default, "help": help_text}
    if kind is bool:
        plain = f.default is False  # --compile; the others can be turned off: --no-ema
        options["action"] = "store_true" if plain else argparse.BooleanOptionalAction
    else:
        options["type"] = kind
    extra = {k: v for k, v in meta["flag"].items() if k != "group"}
    if callable(extra.get("choices")):
        extra["choices"] = list(extra["choices"]())
    options.update(extra)
    if options["default"] not in (None, False) and "default" not in options["help"]:
        options["help"] += f" (default: {'on' if options['default'] is True else options['default']})"
    options["help"] = options["help"].replace("%", "%%")
    return options


def add_settings(parser: argparse.ArgumentParser, names: list[str] | None = None, *,
                 renamed: dict[str, str] | None = None, defaults: dict | None = None,
                 choices: dict | None = None) -> None:
    """Add the flags of the settings `names` (all of them by default) to `parser`; `renamed` gives a
    setting another flag (time_limit -> --budget), `defaults` other defaults and `choices` fewer
    choices (the GANs alone for --arch)."""
    renamed, defaults, groups = renamed or {}, defaults or {}, {}
    for f in settings():
        if f.metadata["flag"] is None or (names is not None and f.name not in names):
            continue
        options = _options(f)
        if f.name in defaults:
            options["default"] = defaults[f.name]
        if f.name in (choices or {}):
            options["choices"] = list(choices[f.name])
        group = f.metadata["flag"].get("group")
        if group and group not in groups:
            groups[group] = parser.add_mutually_exclusive_group()
        target = groups[group] if group else parser
        target.add_argument(renamed.get(f.name, flag_name(f.name)), **options)


def given_settings(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The settings `argv` names, as argparse dests."""
    unset = object()  # argparse fills in defaults only where the namespace has no value yet
    parsed = parser.parse_args(argv, argparse.Namespace(**dict.fromkeys(vars(parser.parse_args([])), unset)))
    return {key for key, value in vars(parsed).items() if value is not unset}


def as_flags(message: str) -> str:
    """A TrainConfig message that opens with a setting's name, with its flag: `lr_decay is` → `--lr-decay is`."""
    name = re.match(r"\w*", message).group()
    return flag_name(name) + message[len(name):] if name in {f.name for f in settings()} else message


def script_parser(prog: str, doc: str) -> argparse.ArgumentParser:
    """A command's parser whose --help shows its docstring: the first line, then the rest as written."""
    first, _, rest = doc.strip().partition("\n")
    return argparse.ArgumentParser(prog=prog, description=first, epilog=rest.strip("\n") or None,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
