"""Publish a trained run's generator to the Hugging Face Hub.

    python -m training.push runs/dcgan --repo-id you/digitgan-dcgan --dry-run   # stage and list, no network
    python -m training.push runs/dcgan --repo-id you/digitgan-dcgan [--private] [--revision BRANCH]

Uploads RUN_DIR/model (model.safetensors, config.json, README.md model card, samples.png) plus the
run's losses.png in one commit, creating the repo when needed. Then:
    DIGITGAN_MODELS=you/digitgan-dcgan python app.py
"""

import argparse
import re
import shutil
import sys
from pathlib import Path

from huggingface_hub import HfApi, ModelCard, get_token
from huggingface_hub.utils import validate_repo_id

from gan_models.card import GENERATOR, TRANSLATOR, card_defaults, write_card
from gan_models.hub import CARD, CONFIG, WEIGHTS, ModelLoadError, is_translator, load_generator, read_config

STAGE = "hub"


class PushError(RuntimeError):
    """The run cannot be published as asked; the message says what to do."""


def stage(run_dir: Path, repo_id: str | None = None) -> Path:
    """Copy what will be uploaded into RUN_DIR/hub/ and return that folder."""
    model = run_dir / "model"
    if not run_dir.is_dir():
        raise PushError(f"there is no folder {run_dir}: pass the run folder that `python -m training.run` wrote")
    missing = [f for f in (WEIGHTS, CONFIG, CARD) if not (model / f).exists()]
    if missing and (run_dir / WEIGHTS).exists():
        raise PushError(f"{run_dir} is a model folder, not a run folder: pass the run folder that holds it, "
                        f"or upload the folder as it is with `hf upload <repo-id> {run_dir} .`")
    if missing:
        raise PushError(f"{run_dir} has no complete model/ folder (missing {', '.join(missing)}): "
                        "finish the run first (rerun its command with --resume), then push")
    try:
        load_generator(model)  # as the app and every user will: a model that does not load is not published
    except ModelLoadError as err:
        raise PushError(f"{model} does not load, so it is not pushed: {err}") from None
    config = read_config(model)
    staged = run_dir / STAGE
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(model, staged)
    if (run_dir / "losses.png").exists():
        shutil.copy2(run_dir / "losses.png", staged / "losses.png")
    data = ModelCard.load(staged / CARD).data.to_dict()
    for key, value in card_defaults(config).items():  # what a card from an older version may lack
        have = data.get(key)
        data[key] = sorted(set(have or []) | set(value)) if key == "tags" else have or value
    write_card(staged, data, name=repo_id, kind=TRANSLATOR if is_translator(config) else GENERATOR)
    return staged


def check_branch(name: str) -> None:
    """A ValueError unless `name` is a branch name git takes (git check-ref-format's rules), as the Hub does."""
    if (re.search(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(/|$)", name) or name == "@"
            or name.startswith(("/", "-", ".")) or name.endswith(("/", "."))):
        raise ValueError(f"--revision {name!r} is not a branch name git takes: use letters, digits and -_./, "
                         "with no spaces, no '..' and no leading '-', '.' or '/'")


def push(run_dir: Path, repo_id: str, private: bool = False, revision: str | None = None,
         dry_run: bool = False) -> list[str]:
    """Stage RUN_DIR/model and upload it (unless `dry_run`); returns the staged file names."""
    validate_repo_id(repo_id)  # a dry run checks what the upload would refuse
    if revision is not None:
        check_branch(revision)
    try:
        staged = stage(run_dir, repo_id)
    except OSError as err:  # here, not in the upload: a folder that cannot be written or read
        raise PushError(f"cannot stage the model in {run_dir / STAGE} ({err}): "
                        "the run folder must be writable") from None
    files = sorted(p.name for p in staged.iterdir())
    if dry_run:
        return files
    token = get_token()
    if token is None:
        raise PushError("no Hugging Face token found: run `hf auth login` (or set HF_TOKEN to a token "
                        "with write access from https://huggingface.co/settings/tokens), then push again")
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    if revision:
        api.create_branch(repo_id, branch=revision, exist_ok=True)
    api.upload_folder(repo_id=repo_id, folder_path=staged, revision=revision,
                      commit_message=f"Upload digitgan {read_config(staged)['architecture']} generator")
    return files


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.push", description=__doc__.split("\n")[0])
    p.add_argument("run_dir", type=Path, help="a run folder written by `python -m training.run` (holds model/)")
    p.add_argument("--repo-id", required=True, help="Hub model repo, owner/name")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--revision", help="branch to push to (created when missing); default main")
    p.add_argument("--dry-run", action="store_true", help="stage RUN_DIR/hub/ and list its files; no network")
    args = p.parse_args(argv)
    try:
        files = push(args.run_dir, args.repo_id, args.private, args.revision, args.dry_run)
    except (PushError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # network and permission failures from the Hub
        print(f"error: the upload to {args.repo_id} failed ({type(err).__name__}: {err})", file=sys.stderr)
        return 1
    target = f"{args.repo_id}@{args.revision or 'main'}"
    verb = "would upload" if args.dry_run else "uploaded"
    print(f"{verb} to {target} (staged in {args.run_dir / STAGE}):")
    for name in files:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
