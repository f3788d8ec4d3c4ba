"""The HTML screens of HubSpot's authorize flow, as the user guide shows them. Plain, escaped, no scripts."""
from html import escape

from . import defaults

_STYLE = """
body { font-family: sans-serif; background: #f5f8fa; color: #33475b; margin: 0; }
main { max-width: 560px; margin: 48px auto; background: #fff; padding: 32px; border-radius: 6px; }
h1 { font-size: 22px; } .button { display: inline-block; padding: 10px 18px; border-radius: 3px; border: 0;
background: #ff7a59; color: #fff; text-decoration: none; font-size: 15px; cursor: pointer; margin: 6px 0; }
.secondary { background: #eaf0f6; color: #33475b; } .warning { background: #fef8f0; border: 1px solid #fae0b5;
padding: 12px; } .error { background: #fde8e9; border: 1px solid #f2545b; padding: 12px; }
ul.scopes { list-style: none; padding: 0; } ul.scopes li { padding: 6px 0; border-bottom: 1px solid #eaf0f6; }
"""


def _page(title, body):
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)} | HubSpot</title><style>{_STYLE}</style></head>"
        f"<body><main><div class=\"logos\">pretix &harr; HubSpot</div><h1>{escape(title)}</h1>{body}</main>"
        "</body></html>"
    )


def landing(app_name, flow_id):
    q = escape(flow_id)
    return _page(f"Connecting your {app_name} account to HubSpot", (
        f"<p>{escape(app_name)} wants to connect to your HubSpot account.</p>"
        f"<p><a class=\"button secondary\" href=\"/signup?flow={q}\">Create a new HubSpot account</a></p>"
        f"<p><a class=\"button\" href=\"/oauth/authorize/sign-in?flow={q}\">Sign in to your HubSpot account</a></p>"
    ))


def choose_account(app_name, flow_id, portals):
    items = []
    for i, portal in enumerate(portals):
        checked = " checked" if i == 0 else ""
        items.append(
            f"<li><label><input type=\"radio\" name=\"portal_id\" value=\"{portal.portal_id}\"{checked}> "
            f"{escape(portal.name)} &middot; {escape(portal.hub_domain)} &middot; {portal.portal_id}</label></li>"
        )
    return _page(f"Connecting {app_name} to HubSpot", (
        "<p>Choose the HubSpot account you want to connect.</p>"
        "<form method=\"post\" action=\"/oauth/authorize/choose\">"
        f"<input type=\"hidden\" name=\"flow\" value=\"{escape(flow_id)}\">"
        f"<ul class=\"accounts\">{''.join(items)}</ul>"
        "<button class=\"button\" type=\"submit\">Choose account</button></form>"
    ))


def consent(app_name, flow_id, portal, scopes, optional_scopes):
    items = []
    for scope in list(scopes) + list(optional_scopes):
        kind = "optional" if scope in optional_scopes and scope not in scopes else "required"
        items.append(
            f"<li><label><input type=\"checkbox\" name=\"scope\" value=\"{escape(scope)}\" checked> "
            f"{escape(defaults.SCOPE_DESCRIPTIONS.get(scope, scope))} <code>{escape(scope)}</code> "
            f"<small>({kind})</small></label></li>"
        )
    return _page(f"Connecting {app_name} to HubSpot", (
        "<div class=\"warning\"><strong>You're connecting an unverified app</strong>"
        f"<p>{escape(app_name)} has not been reviewed by HubSpot. Only connect apps you trust.</p></div>"
        f"<p>Account: <strong>{escape(portal.name)}</strong> ({portal.portal_id})</p>"
        f"<p>{escape(app_name)} is requesting permission to:</p>"
        "<form method=\"post\" action=\"/oauth/authorize/connect\">"
        f"<input type=\"hidden\" name=\"flow\" value=\"{escape(flow_id)}\">"
        f"<ul class=\"scopes\">{''.join(items)}</ul>"
        "<button class=\"button secondary\" type=\"submit\" name=\"action\" value=\"decline\">Cancel</button> "
        "<button class=\"button\" type=\"submit\" name=\"action\" value=\"connect\">Connect app</button></form>"
    ))


def error(message, code):
    return _page("Couldn't complete the connection", (
        f"<div class=\"error\" data-error=\"{escape(code)}\"><p>{escape(message)}</p></div>"
        "<p>Contact the app's developer for help.</p>"
    ))
