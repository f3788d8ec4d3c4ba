"""
The HubSpot side: HubSpot's APIs as this plugin calls them (client, OAuth, tokens, dated paths, rate limit,
errors and their wording, properties and their value rules, scopes, products). Knows nothing of orders or mappings.
"""
