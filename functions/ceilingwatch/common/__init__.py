"""What every layer may use: errors, scrubbing, logging and the settings from the environment."""
