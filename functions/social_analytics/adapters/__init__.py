"""Post sources behind one interface (``base.SocialMediaAdapter``)."""
