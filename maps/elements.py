"""folium elements with our own templates: no jQuery, no zoom lock, Dutch control labels.

folium's ``Map`` template locks zoom in the viewport meta (WCAG 1.4.4), its ``Popup`` needs jQuery and
its ``Tooltip`` puts text into a JS backtick string. These small replacements avoid all three.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template

from maps.assets import leaflet_js, map_css

MAP_LABEL = "Kaart van de zones buurtpreventie"


class PublicMap(folium.Map):  # type: ignore[misc]
    """A folium Map that loads only the vendored Leaflet and sizes itself with the page CSS."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
            <div class="folium-map wabp-map" id={{ this.get_name()|tojson }}
                 role="region" aria-label="{{ this.aria_label|e }}"></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{ this.options|tojavascript }},
                    zoomControl: false
                }
            );
            L.control.zoom({zoomInTitle: "Inzoomen", zoomOutTitle: "Uitzoomen"})
                .addTo({{ this.get_name() }});
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, *, asset_base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Instance attributes: folium's add_js_link would otherwise mutate the class-level lists.
        self.default_js = leaflet_js(asset_base)
        self.default_css = map_css(asset_base)
        self.aria_label = MAP_LABEL


class BindContent(MacroElement):  # type: ignore[misc]
    """Bind a tooltip and/or popup, both already-escaped HTML strings, to the parent layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {%- if this.tooltip %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.tooltip|tojson }}, {sticky: true});
            {%- endif %}
            {%- if this.popup %}
            {{ this._parent.get_name() }}.bindPopup(
                {{ this.popup|tojson }}, {maxWidth: 320, maxHeight: 300}
            );
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, *, tooltip: str | None = None, popup: str | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "BindContent"
        self.tooltip = tooltip
        self.popup = popup


class DutchLayerControl(folium.LayerControl):  # type: ignore[misc]
    """folium's LayerControl with a Dutch name on its toggle button."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            let {{ this.get_name() }} = L.control.layers(
                {
                    {%- for key, val in this.base_layers.items() %}
                    {{ key|tojson }}: {{ val }},
                    {%- endfor %}
                },
                {
                    {%- for key, val in this.overlays.items() %}
                    {{ key|tojson }}: {{ val }},
                    {%- endfor %}
                },
                {{ this.options|tojavascript }}
            ).addTo({{ this._parent.get_name() }});
            (function (toggle) {
                toggle.title = "Kaartlagen";
                toggle.setAttribute("aria-label", "Kaartlagen kiezen");
            })({{ this.get_name() }}.getContainer().querySelector(".leaflet-control-layers-toggle"));
        {% endmacro %}
        """
    )
