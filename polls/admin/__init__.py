"""Staff run Votr from here. Every write goes through polls/services, so the admin can never
break a count or a rule, and every change lands in the audit log (AuditEntry) in the transaction
that makes it.

Forms validate with the services' pure checks (services.poll_errors, …), so the rules' messages
appear on the fields, and nothing is written until the form is valid: the writing services run
in save_model, save_formset and the actions. One module per model; Django's autodiscovery
imports this package, which imports them all.
"""

from . import audit, ballots, invites, polls, site, users

__all__ = ["audit", "ballots", "invites", "polls", "site", "users"]
