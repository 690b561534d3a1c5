def no_client_address(request):
    """django-axes asks for the client's address to store beside a failed
    login; we keep none (lockout is by username)."""
    return None
