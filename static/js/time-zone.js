/* The time-zone select (templates/partials/_time_zone_field.html), made quicker with
   scripts on; without them the select works as it is.

   - Where the select asks for it (data-suggest="device": the customer has no zone of their
     own yet), the device's zone is chosen, under its listed name (aliases map the names some
     browsers report, such as Asia/Calcutta).
   - A search box above it narrows the select to the zones whose place, country or name
     holds every word typed; Enter moves to the select, a polite status says how many match. */

(() => {
  const fold = (text) =>
    text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/_/g, " ").toLowerCase();

  const aliases = () => {
    const data = document.getElementById("time-zone-aliases");
    return data ? JSON.parse(data.textContent) : {};
  };

  function deviceZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch {
      return "";
    }
  }

  function suggest(select) {
    if (select.dataset.suggest !== "device") return;
    const zone = deviceZone();
    const listed = [zone, aliases()[zone]].find(
      (name) => name && [...select.options].some((option) => option.value === name),
    );
    if (!listed) return;
    select.value = listed;
    const help = document.getElementById(`${select.id}_helptext`);
    if (help) help.append(" We chose your device's time zone; change it if it is wrong.");
  }

  function addSearch(select) {
    const groups = [...select.children].map((node) => node.cloneNode(true));
    const id = `${select.id}_search`;
    const box = document.createElement("div");
    box.className = "zone-search";
    box.innerHTML =
      `<label for="${id}">Find your time zone</label>` +
      `<input type="search" id="${id}" autocomplete="off" spellcheck="false"` +
      ` aria-controls="${select.id}" aria-describedby="${id}_status"` +
      ` placeholder="A city or country, e.g. Denver or Norway">` +
      `<p class="help" id="${id}_status" role="status"></p>`;
    const field = select.closest(".field") || select.parentElement;
    field.prepend(box);
    const input = box.querySelector("input");
    const status = box.querySelector("[role=status]");

    const matches = (option, words) => {
      const text = fold(`${option.textContent} ${option.value}`);
      return words.every((word) => text.includes(word));
    };

    function filter() {
      const words = fold(input.value).split(/\s+/).filter(Boolean);
      const chosen = select.value;
      const kept = [];
      let count = 0;
      for (const node of groups) {
        const options = node.tagName === "OPTGROUP" ? [...node.children] : [node];
        const hits = options.filter((option) => matches(option, words));
        if (!hits.length) continue;
        count += hits.length;
        if (node.tagName === "OPTGROUP") {
          const group = node.cloneNode(false);
          group.append(...hits.map((option) => option.cloneNode(true)));
          kept.push(group);
        } else {
          kept.push(node.cloneNode(true));
        }
      }
      if (!count) {
        status.textContent = `No time zone matches “${input.value.trim()}”.`;
        return;
      }
      select.replaceChildren(...kept);
      const still = [...select.options].some((option) => option.value === chosen);
      select.value = still ? chosen : select.options[0].value;
      if (!words.length) {
        status.textContent = "";
      } else {
        const first = select.options[select.selectedIndex].textContent;
        status.textContent =
          count === 1
            ? `1 time zone matches: ${first}, chosen.`
            : `${count} time zones match; chosen: ${first}.`;
      }
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault(); // not a submit: the choice is made in the select
        select.focus();
      }
    });
  }

  function start() {
    for (const select of document.querySelectorAll("select[data-time-zone]")) {
      suggest(select);
      addSearch(select);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
