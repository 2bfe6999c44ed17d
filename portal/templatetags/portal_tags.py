from django import template

register = template.Library()


@register.filter
def described(field):
    """Render a form field's widget tied to its error and help texts for screen readers."""
    ids = []
    attrs = {}
    if field.errors:
        ids.append(f"{field.auto_id}_errors")
        attrs["aria-invalid"] = "true"
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    return field.as_widget(attrs=attrs)
