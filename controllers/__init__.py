from . import feedback
