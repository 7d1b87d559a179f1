"""`python -m gan_models.translate`: the command line in cli.py. The package holds the library's
`translate` too, so that importing the command never hides the function behind the module's name."""

from ..translators import translate
from .cli import main

__all__ = ["main", "translate"]
