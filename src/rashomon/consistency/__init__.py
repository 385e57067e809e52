"""Are explanations identifiable? Agreement of maps within an architecture (across its
variants) and across architectures (their prototype maps), and how agreement relates to
the image's rating and the model's error."""
