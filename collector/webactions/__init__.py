"""What a web request changes, with its audit event: one function per action.

The JSON API and the dashboard both change state through these functions (start and
cancel a campaign, upload and delete a model, delete a run), so a change made from a
page is checked, stored, audited and committed exactly as one made with a token; each
blueprint only turns the outcome into its answer (JSON or a page). They sit between the
blueprints and ``auth`` (they record the requester).
"""
