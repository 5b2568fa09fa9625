"""The Teams app package: manifest.json plus two icons, zipped, for upload to Teams."""
