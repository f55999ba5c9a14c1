// #/campaigns/new and #/campaigns/<id>/edit: one form; the API's field errors appear under their fields.

import { checkPlaylist, createCampaign, getCampaign, updateCampaign } from "../api.js";
import { fromTemplate, refs } from "../dom.js";
import { clearErrors, focusFirstInvalid, showApiErrors, showFieldError, showFormError, value, whileBusy } from "../forms.js";
import { formatNumber, fromLocalInput, toLocalInput } from "../format.js";
import { currencyForLocale, spendOf } from "../money.js";
import { focusHeading, setTitle } from "../page.js";
import { navigate } from "../router.js";
import { announce } from "../status.js";

// How the API's field names read in its messages (only the JSON-looking ones:
// "playlist" is also a plain word in its messages).
const WORDS = {
  destination_url: "the landing address",
  presented_by: "presented by",
  attribution_window_days: "the attribution window",
  attribution_model: "the attribution model",
  starts_at: "the start",
  ends_at: "the end",
};

const CHECK_DELAY_MS = 400;

function defaultCurrency() {
  return currencyForLocale(navigator.language || "en-US");
}

export function renderCampaignForm(main, { params }) {
  const editing = Boolean(params.id);
  setTitle(editing ? "Edit campaign" : "New campaign");
  const page = fromTemplate("tpl-campaign-form");
  const ui = refs(page);
  const { form } = ui;
  let original = null;
  let alive = true;

  form.elements.spend_currency.value = defaultCurrency();
  if (!editing) watchPlaylist(form.elements.playlist, ui, () => alive);

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  ui.timezone.textContent = `Start and end are in your time zone${zone ? ` (${zone})` : ""}. Leave them empty to count plays from now on, with no end.`;

  if (editing) {
    ui.title.textContent = "Edit campaign";
    ui.submit.textContent = "Save changes";
    ui.cancel.href = `#/campaigns/${encodeURIComponent(params.id)}`;
    form.elements.playlist.readOnly = true;
    ui.playlistHint.textContent = "The playlist of a campaign cannot be changed: create a new campaign for another playlist.";
    form.hidden = true;
    getCampaign(params.id)
      .then((campaign) => {
        if (!alive) return;
        original = campaign;
        fill(form, campaign);
        setTitle(`Edit ${campaign.name}`);
        form.hidden = false;
        if (campaign.status === "archived") {
          showFormError(form, "This campaign is archived: it cannot be changed any more.");
          ui.submit.disabled = true;
        }
        focusHeading(main);
      })
      .catch((error) => {
        form.hidden = false;
        showFormError(form, error.message);
        ui.submit.disabled = true;
      });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const draft = read(form);
    if (!checkLocally(form, draft)) return focusFirstInvalid(form);
    const { spend, error: spendError } = spendOf(draft.spend);
    if (spendError) {
      showFieldError(form, spendError.field, spendError.message);
      return focusFirstInvalid(form);
    }
    draft.spendValue = spend;
    try {
      if (editing) {
        const changes = changesOf(original, draft);
        if (!Object.keys(changes).length) {
          announce("Nothing to save: no field changed.");
          return;
        }
        await whileBusy(form, "Saving…", () => updateCampaign(params.id, changes));
        announce("Your changes are saved.");
        navigate(`#/campaigns/${encodeURIComponent(params.id)}`);
      } else {
        const created = await whileBusy(form, "Creating…", () => createCampaign(newCampaign(draft)));
        announce("Campaign created. Share its tracker link or QR code.");
        navigate(`#/campaigns/${encodeURIComponent(created.id)}`);
      }
    } catch (error) {
      showApiErrors(form, error, WORDS);
    }
  });

  main.append(page);
  return () => {
    alive = false;
  };
}

function fill(form, campaign) {
  form.elements.name.value = campaign.name ?? "";
  form.elements.presented_by.value = campaign.presented_by ?? "";
  form.elements.playlist.value = campaign.playlist_url ?? campaign.playlist_id ?? "";
  form.elements.destination_url.value = campaign.destination_url === campaign.playlist_url ? "" : campaign.destination_url ?? "";
  form.elements.attribution_window_days.value = campaign.attribution_window_days ?? 14;
  form.elements.attribution_model.value = campaign.attribution_model ?? "last_touch";
  form.elements.starts_at.value = toLocalInput(campaign.starts_at);
  form.elements.ends_at.value = toLocalInput(campaign.ends_at);
  form.elements.measure_fans.checked = Boolean(campaign.measure_fans);
  const spend = campaign.spend;
  if (spend) {
    form.elements.spend_amount.value = spend.total ?? spend.per_day ?? "";
    form.elements.spend_currency.value = spend.currency;
    form.elements.spend_basis.value = spend.per_day ? "per_day" : "total";
    form.elements.spend_sources.value = Object.entries(spend.by_source ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([source, amount]) => `${source}: ${amount}`)
      .join("\n");
  }
}

/** Read the playlist as the owner pastes it: its name, cover and track count, or Spotify's warning. */
function watchPlaylist(input, ui, alive) {
  let asked = "";
  const show = (name, warning, cover) => {
    ui.playlistName.textContent = name;
    ui.playlistWarning.textContent = warning ?? "";
    ui.playlistWarning.hidden = !warning;
    ui.playlistCover.hidden = !cover;
    if (cover) ui.playlistCover.src = cover;
  };
  const check = async () => {
    const pasted = input.value.trim();
    if (!pasted || pasted === asked) return;
    asked = pasted;
    show("Reading the playlist on Spotify…", null, null);
    try {
      const found = await checkPlaylist(pasted);
      if (!alive() || asked !== pasted) return;
      if (found.readable) {
        const count = typeof found.track_count === "number" ? ` · ${formatNumber(found.track_count)} ${found.track_count === 1 ? "track" : "tracks"}` : "";
        show(`${found.name ?? "Untitled playlist"}${count}`, found.warning, found.image_url);
      } else {
        show("", found.warning, null);
      }
    } catch (error) {
      if (!alive() || asked !== pasted) return;
      // A link that is not a playlist: the API's sentence ("That is an album link; …").
      show("", error.message, null);
    }
  };
  // As it is pasted or typed (a moment after the last keystroke), not when the field loses focus:
  // an answer arriving as the owner presses "Create" would move the button from under the pointer.
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, CHECK_DELAY_MS);
  });
}

function read(form) {
  return {
    name: value(form, "name"),
    presented_by: value(form, "presented_by"),
    playlist: value(form, "playlist"),
    destination_url: value(form, "destination_url"),
    attribution_window_days: value(form, "attribution_window_days"),
    attribution_model: form.elements.attribution_model.value,
    starts_at: form.elements.starts_at.value,
    ends_at: form.elements.ends_at.value,
    measure_fans: form.elements.measure_fans.checked,
    spend: {
      amount: form.elements.spend_amount.value,
      currency: form.elements.spend_currency.value.trim(),
      basis: form.elements.spend_basis.value,
      sources: form.elements.spend_sources.value,
    },
  };
}

function checkLocally(form, draft) {
  let ok = true;
  if (!draft.name) ok = !showFieldError(form, "name", "Give the campaign a name.") && ok;
  if (!draft.playlist) ok = !showFieldError(form, "playlist", "Paste the link of a Spotify playlist.") && ok;
  const days = Number(draft.attribution_window_days);
  if (!Number.isInteger(days) || days < 1 || days > 90) {
    ok = !showFieldError(form, "attribution_window_days", "Enter a whole number of days from 1 to 90.") && ok;
  }
  for (const name of ["starts_at", "ends_at"]) {
    if (draft[name] && !fromLocalInput(draft[name])) ok = !showFieldError(form, name, "Enter a date and time.") && ok;
  }
  return ok;
}

function newCampaign(draft) {
  const body = {
    name: draft.name,
    playlist: draft.playlist,
    attribution_window_days: Number(draft.attribution_window_days),
    attribution_model: draft.attribution_model,
  };
  if (draft.destination_url) body.destination_url = draft.destination_url;
  if (draft.presented_by) body.presented_by = draft.presented_by;
  if (draft.starts_at) body.starts_at = fromLocalInput(draft.starts_at);
  if (draft.ends_at) body.ends_at = fromLocalInput(draft.ends_at);
  if (draft.measure_fans) body.measure_fans = true;
  if (draft.spendValue) body.spend = draft.spendValue;
  return body;
}

/** Only what differs from the stored campaign (PATCH changes exactly the fields sent). */
export function changesOf(original, draft) {
  const changes = {};
  if (draft.name !== original.name) changes.name = draft.name;
  if (draft.presented_by !== undefined && draft.presented_by !== (original.presented_by ?? "")) {
    changes.presented_by = draft.presented_by || null;
  }
  const days = Number(draft.attribution_window_days);
  if (days !== original.attribution_window_days) changes.attribution_window_days = days;
  if (draft.attribution_model !== original.attribution_model) changes.attribution_model = draft.attribution_model;
  const shownDestination = original.destination_url === original.playlist_url ? "" : original.destination_url ?? "";
  if (draft.destination_url !== shownDestination) changes.destination_url = draft.destination_url || null;
  for (const name of ["starts_at", "ends_at"]) {
    if (draft[name] !== toLocalInput(original[name])) changes[name] = fromLocalInput(draft[name]);
  }
  if (draft.measure_fans !== undefined && draft.measure_fans !== Boolean(original.measure_fans)) {
    changes.measure_fans = draft.measure_fans;
  }
  if ("spendValue" in draft && JSON.stringify(spendKey(draft.spendValue)) !== JSON.stringify(spendKey(original.spend))) {
    changes.spend = draft.spendValue;
  }
  return changes;
}

function spendKey(spend) {
  if (!spend) return null;
  const amount = spend.total ?? spend.per_day;
  const sources = Object.entries(spend.by_source ?? {})
    .map(([source, part]) => [source, Number(part)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [spend.currency, spend.total != null ? "total" : "per_day", amount == null ? null : Number(amount), sources];
}
