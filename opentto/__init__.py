__version__ = "0.1.0"

from opentto.core.choice_labels import install as _install_choice_labels

_install_choice_labels()
