"""Template tags for the "Object mappings" section, which the settings page includes without preparing it."""
from django import template

from ..forms import object_mapping_formset_for

register = template.Library()


@register.simple_tag(takes_context=True)
def hubspot_object_mapping_formset(context):
    """The list's formset: the one that failed to save (with its errors) if there is one, else the stored list."""
    formset = context.get("object_mapping_formset")
    if formset is not None:
        return formset
    return object_mapping_formset_for(context["request"].event)
