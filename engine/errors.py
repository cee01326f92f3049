"""Product exceptions: one base, one per domain. Messages are French (shown to users)."""


class IPTError(Exception):
    """Base of every product error; `message` is French and safe to show."""

    code = "erreur"

    def __init__(self, message: str, **context):
        super().__init__(message)
        self.message = message
        self.context = context


class ConfigError(IPTError):
    code = "configuration"


class SpecError(IPTError):
    """An invalid diagram, DMN table or form: names file, element and line."""

    code = "diagramme_invalide"

    def __init__(self, message, *, file=None, element=None, line=None, **ctx):
        loc = []
        if file:
            loc.append(str(file))
        if element:
            loc.append(f"élément « {element} »")
        if line:
            loc.append(f"ligne {line}")
        full = f"{' , '.join(loc)} : {message}" if loc else message
        super().__init__(full, file=file, element=element, line=line, **ctx)
        self.problem = message


class ScriptError(IPTError):
    code = "script_refuse"


class NotFound(IPTError):
    code = "introuvable"


class Forbidden(IPTError):
    code = "interdit"


class AlreadyCompleted(IPTError):
    code = "deja_complete"


class ValidationFailed(IPTError):
    """Form data refused; `errors` maps field name → French message."""

    code = "donnees_invalides"

    def __init__(self, errors: dict[str, str], message="Le formulaire contient des erreurs."):
        super().__init__(message, errors=errors)
        self.errors = errors


class NotEligible(IPTError):
    code = "non_eligible"


class RuleViolation(IPTError):
    code = "regle"


class AuthError(IPTError):
    code = "authentification"


class Throttled(AuthError):
    """Too many failed logins for an address: wait `retry_after` seconds."""

    code = "trop_de_tentatives"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
