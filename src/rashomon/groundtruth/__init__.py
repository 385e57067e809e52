"""Is an explanation right? Localisation against the simulator's artifact mask, faithfulness
to the model's measured twin effects, deletion curves and sanity (randomisation) checks."""
