"""Who is asking: the signed-in user (Gradio puts the login name on the request), whose groups decide
what every handler may read or write."""

from __future__ import annotations

import gradio as gr

from assistant.core.users import User, UserStore


def current_user(users: UserStore | None, request: gr.Request | None) -> User | None:
    """The user behind `request`; None on a page without a users file (a local, single-user tool).
    Raises gr.Error when the page needs a login and the request carries no known user."""
    if users is None:
        return None
    name = getattr(request, "username", None) if request is not None else None
    user = users.get(name) if name else None
    if user is None:
        raise gr.Error("Sign in first: this page answers only for users in its users file "
                       f"({'unknown user ' + repr(name) if name else 'no user signed in'}).")
    return user
