"""The zoo's recipes, one TOML file per entry (installed as keras_gans.zoo)."""
