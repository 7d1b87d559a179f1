"""Shared fixtures: MNIST from ../shared/data when present, tiny models for fast tests."""

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding MNIST/raw/; in CI its absence is a failure, elsewhere a skip."""
    if (SHARED_DATA / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        return SHARED_DATA
    if os.environ.get("CI") == "true":
        pytest.fail(f"MNIST is missing from {SHARED_DATA}: CI must run with ../shared beside the checkout")
    pytest.skip(f"MNIST not found in {SHARED_DATA}")
