"""Follow-through: action items, their buttons, the reminder cadence and schedule, the sweep,
owner notices, the digest and App Home."""
