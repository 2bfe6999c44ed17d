/* The live maps: the customer's (/appointments/<id>/map/, #live-map) and the dispatchers'
   (admin, #dispatch-map). Each Leaflet map is made once; a refresh moves its markers and
   rewrites the text beside it by id, never replaces the map's element. Refreshes are polled
   every data-poll-seconds while the page is visible, and stop for good once the visit is no
   longer Traveling. No inline code (the Content-Security-Policy): settings come in data-*
   attributes, the first state in a JSON script element the server wrote. */
(() => {
  "use strict";

  // Written as tracking/livemap.py's age_text writes it: "Updated 30 s ago".
  function ageText(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 60) return `Updated ${seconds} s ago`;
    if (seconds < 3600) return `Updated ${Math.floor(seconds / 60)} min ago`;
    return `Updated ${Math.floor(seconds / 3600)} h ago`;
  }

  function setText(element, text) {
    element.textContent = text || "";
    element.hidden = !text;
  }

  // Ask `url` for the state every `seconds` while the tab is visible (at once when it comes
  // back), with `key` (the page's refresh key) when there is one; `apply` returns false to
  // stop. A refused key (run out) or an answer that is not JSON (signed out, or the visit
  // gone) reloads the page, which then hands a new key or says what happened.
  function poll(url, seconds, apply, key) {
    let timer = null;
    let busy = false;
    let stopped = false;
    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && !document.hidden) timer = setTimeout(refresh, seconds * 1000);
    };
    async function refresh() {
      if (busy || stopped || document.hidden) return;
      busy = true;
      try {
        const headers = { Accept: "application/json" };
        if (key) headers.Authorization = `Bearer ${key}`;
        const response = await fetch(url, { headers, cache: "no-store" });
        if (response.status === 403 || !(response.headers.get("Content-Type") || "").startsWith("application/json")) {
          stopped = true;
          window.location.reload();
        } else if (response.ok && apply(await response.json()) === false) {
          stopped = true;
        }
      } catch (error) {
        // Offline for a moment, or a refresh cut short: the next one tries again.
      } finally {
        busy = false;
        schedule();
      }
    }
    document.addEventListener("visibilitychange", () => (document.hidden ? clearTimeout(timer) : refresh()));
    schedule();
  }

  // Leaflet adds markers to a map only once it has a view: start from `center`, then fit.
  // Leaflet 1.9 cancels a tile's download by pointing it at a data: image, which the
  // Content-Security-Policy refuses (images come from here and the tile host only). Leaflet's
  // next major version empties the address instead (Leaflet/Leaflet#10068): the same here.
  const TileLayer = L.TileLayer.extend({
    _abortLoading() {
      for (const key of Object.keys(this._tiles)) {
        const { coords, el: tile } = this._tiles[key];
        if (coords.z === this._tileZoom) continue;
        tile.onload = L.Util.falseFn;
        tile.onerror = L.Util.falseFn;
        if (!tile.complete) {
          tile.setAttribute("src", "");
          tile.remove();
          delete this._tiles[key];
          this.fire("tileabort", { tile, coords });
        }
      }
    },
    _removeTile(key) {
      const tile = this._tiles[key];
      if (!tile) return undefined;
      tile.el.setAttribute("src", "");
      return L.GridLayer.prototype._removeTile.call(this, key);
    },
    _tileReady(coords, err, tile) {
      if (!this._map || (tile && tile.getAttribute("src") === "")) return undefined;
      return L.GridLayer.prototype._tileReady.call(this, coords, err, tile);
    },
  });

  // Leaflet adds markers to a map only once it has a view: start from `center`, then fit.
  function baseMap(element, center) {
    const map = L.map(element, { scrollWheelZoom: false, fadeAnimation: false, center: center || [0, 0], zoom: center ? 13 : 2 });
    // Tiles are decoration: without a reachable tile server the markers and the panel stay.
    new TileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
    return map;
  }

  // Leaflet's own pin, its images named in data-* (the static files' hashed names; Leaflet's
  // guess from its stylesheet does not survive the hashing).
  function pinIcon(element) {
    return L.icon({
      iconUrl: element.dataset.icon,
      iconRetinaUrl: element.dataset.icon2x,
      shadowUrl: element.dataset.shadow,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      shadowSize: [41, 41],
    });
  }

  // A round badge, with the initials when the server sent them (a setting allows them).
  function badgeIcon(initials) {
    const text = document.createElement("span");
    text.textContent = initials || "";
    return L.divIcon({ className: "tech-marker", html: text, iconSize: [36, 36], iconAnchor: [18, 18], popupAnchor: [0, -18] });
  }

  // The marker's text alternative: its title, its accessible name and its popup (Enter or
  // a click opens it; markers are focusable with the keyboard).
  function labelled(marker, label) {
    marker.options.title = label;
    const element = marker.getElement();
    if (element) {
      element.title = label;
      element.setAttribute("aria-label", label);
      if (element.tagName === "IMG") element.alt = label;
    }
    const text = document.createElement("span");
    text.textContent = label;
    marker.setPopupContent(text);
  }

  function technicianMarker(initials) {
    const marker = L.marker([0, 0], { icon: badgeIcon(initials), keyboard: true, zIndexOffset: 1000 });
    marker.bindPopup("");
    return marker;
  }

  function customerMap(element) {
    const panel = document.getElementById("live-panel");
    const headline = document.getElementById("live-headline");
    const announcement = document.getElementById("live-announcement");
    const distance = document.getElementById("live-distance");
    const age = document.getElementById("live-age");
    const approximate = document.getElementById("live-approximate");
    const first = JSON.parse(document.getElementById("live-map-state").textContent);

    const start = first.site || first.technician;
    const map = baseMap(element, start && [start.latitude, start.longitude]);
    const technician = technicianMarker(first.initials);
    // Where the technician may be while the position is coarse: the grid cell's reach.
    const area = L.circle([0, 0], { radius: 350, className: "approximate-area", interactive: false });
    let site = null;
    if (first.site) {
      site = L.marker([first.site.latitude, first.site.longitude], { icon: pinIcon(element), keyboard: true })
        .bindPopup("")
        .addTo(map);
      labelled(site, first.site.label);
    }

    // The live region speaks when its text changes: only when the minutes or the state do.
    const key = (state) => `${state.state}|${state.minutes ?? ""}|${state.freshness === "unavailable"}`;
    let announced = key({
      state: panel.dataset.state,
      minutes: announcement.dataset.minutes === "" ? null : Number(announcement.dataset.minutes),
      freshness: panel.dataset.freshness,
    });
    let ageSeconds = null;
    let ageSince = 0;
    const showAge = () =>
      setText(age, ageSeconds === null ? "" : ageText(ageSeconds + Math.floor((performance.now() - ageSince) / 1000)));

    // The view follows the technician in, closer as they near the site, until the customer
    // moves the map; after that only when the technician leaves what they are looking at.
    let steering = false;
    let customerMoved = false;
    map.on("movestart", () => {
      if (!steering) customerMoved = true;
    });
    function frame() {
      const points = [site && site.getLatLng(), map.hasLayer(technician) && technician.getLatLng()].filter(Boolean);
      if (!points.length) return;
      const bounds = L.latLngBounds(points);
      if (customerMoved && map.getBounds().contains(bounds)) return;
      // Unanimated, so the move starts and ends here and is told from the customer's own.
      steering = true;
      if (points.length === 1) map.setView(points[0], 15, { animate: false });
      else map.fitBounds(bounds, { padding: [48, 48], maxZoom: 16, animate: false });
      steering = false;
    }

    function apply(state) {
      panel.dataset.state = state.state;
      panel.dataset.freshness = state.freshness;
      headline.textContent = state.headline;
      if (key(state) !== announced) {
        announced = key(state);
        announcement.textContent = state.announcement;
        announcement.dataset.minutes = state.minutes ?? "";
      }
      setText(distance, state.distance);
      ageSeconds = state.age_seconds;
      ageSince = performance.now();
      showAge();
      approximate.hidden = !(state.technician && state.technician.approximate);
      if (state.state !== "traveling") {
        // Arrived, back to scheduled, over: the panel says so; the map has nothing to show.
        map.remove();
        element.hidden = true;
        setText(age, "");
        return false;
      }
      const where = state.technician;
      if (where) {
        technician.setLatLng([where.latitude, where.longitude]).addTo(map);
        labelled(technician, where.label);
        technician.getElement().classList.toggle("is-stale", state.freshness === "stale");
        area.setLatLng([where.latitude, where.longitude]);
        if (where.approximate) area.addTo(map);
        else area.remove();
      } else {
        technician.remove();
        area.remove();
      }
      frame();
      return true;
    }

    if (apply(first)) {
      setInterval(() => ageSeconds !== null && showAge(), 1000);
      poll(element.dataset.stateUrl, Number(element.dataset.pollSeconds), apply, element.dataset.stateKey);
    }
  }

  function dispatchMap(element) {
    const rows = document.getElementById("dispatch-rows");
    const first = JSON.parse(document.getElementById("dispatch-map-state").textContent);
    const map = baseMap(element, first.center);
    const markers = new Map();
    let framed = false;

    function row(technician) {
      const tr = document.createElement("tr");
      tr.classList.toggle("is-stale", technician.stale);
      for (const text of technician.cells) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }

    function apply(state) {
      const seen = new Set();
      for (const technician of state.technicians) {
        if (technician.latitude === null) continue;
        seen.add(technician.id);
        let marker = markers.get(technician.id);
        if (!marker) {
          marker = technicianMarker(technician.initials).addTo(map);
          markers.set(technician.id, marker);
        }
        marker.setLatLng([technician.latitude, technician.longitude]);
        labelled(marker, technician.label);
        marker.getElement().classList.toggle("is-stale", technician.stale);
      }
      for (const [id, marker] of markers) {
        if (!seen.has(id)) {
          marker.remove();
          markers.delete(id);
        }
      }
      rows.replaceChildren(...state.technicians.map(row));
      if (!framed && markers.size) {
        framed = true;
        map.fitBounds(L.featureGroup([...markers.values()]).getBounds(), { padding: [48, 48], maxZoom: 14 });
      }
      return true;
    }

    apply(first);
    poll(element.dataset.stateUrl, Number(element.dataset.pollSeconds), apply);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const live = document.getElementById("live-map");
    if (live) customerMap(live);
    const dispatch = document.getElementById("dispatch-map");
    if (dispatch) dispatchMap(dispatch);
  });
})();
