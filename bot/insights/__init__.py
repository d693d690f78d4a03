"""What a team learns across its incidents: similar past incidents (similar.py, scored; loaded
and posted by similar_load.py), and the numbers (stats)."""
