from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html, format_html_join

from opentto.core.i18n import text_language
from opentto.core.idempotency import FORM_FIELD, new_key
from opentto.core.money import format_percent, format_yuan

register = template.Library()


@register.filter
def yuan(value: Decimal | int | None) -> str:
    """Money in yuan with thousands separators: ``¥512,345,678.00``."""
    return format_yuan(value)


@register.filter
def percent(value: Any) -> str:
    """A fraction shown as a percentage: ``{{ deal.royalty_rate|percent }}`` → ``3%`` (not 0.03000)."""
    return format_percent(value)


@register.filter
def percent_points(value: Any) -> str:
    """A value already in percent shown without its padding zeros: ``60.000`` → ``60%``."""
    return format_percent(value, points=True)


@register.filter
def text_lang(value: Any) -> str:
    """``lang`` for quoted data (a passage of a result, a demand's text): core.i18n.text_language."""
    return text_language(str(value or ""))


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (for sorting and paging links)."""
    params: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + params.urlencode() if params else "?"


@register.simple_tag
def idempotency_field(key: str | None = None) -> str:
    """The hidden single-use key of a form that writes (``opentto.core.idempotency``): a new one
    each time the form is drawn, or ``key`` when a form is shown again for the same request (a
    confirmation), so that posting it twice still records once."""
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, key or new_key())


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.simple_tag
def select_options(items: Any, selected: Any = None, label: str = "name") -> str:
    """``<option>`` elements for model instances (value: pk, text: ``label``), the ``selected`` pk
    marked: one Python join instead of a template loop (a list's owner filter has hundreds)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((o.pk, " selected" if o.pk == selected else "", getattr(o, label)) for o in items),
    )


class _CachedFragmentNode(template.Node):
    def __init__(self, key: template.base.FilterExpression, nodelist: template.NodeList) -> None:
        self.key, self.nodelist = key, nodelist

    def render(self, context: template.Context) -> str:
        from opentto.core.cache import cached_fragment

        key = self.key.resolve(context)
        if not key:  # no key given: rendered each time
            return self.nodelist.render(context)
        # the block's own rendering (auto-escaped, a SafeString, which the cache keeps as such)
        return cached_fragment(str(key), lambda: self.nodelist.render(context))


@register.tag
def cachedfragment(parser: template.base.Parser, token: template.base.Token) -> _CachedFragmentNode:
    """``{% cachedfragment key %}…{% endcachedfragment %}``: the block rendered once per ``key``
    (from ``opentto.core.cache.fragment_key``, which must cover everything the block shows)
    and figures version; rendered each time when ``key`` is empty or the cache is off."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("cachedfragment takes one argument: the key")
    nodelist = parser.parse(("endcachedfragment",))
    parser.delete_first_token()
    return _CachedFragmentNode(parser.compile_filter(bits[1]), nodelist)
