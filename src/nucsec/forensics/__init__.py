"""Nuclear forensics: gamma spectrometry, radiochronometry and the forensics library."""
