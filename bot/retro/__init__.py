"""The retrospective: the draft, its steps as forms, checks, blameless wording, and what a
submit does."""
