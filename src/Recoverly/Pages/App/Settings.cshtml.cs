using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Push;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Pages.App;

/// <summary>
/// /app/settings: text-back templates with a live preview, the booking link and quick replies, hours, calls, owner
/// alerts, the weekly summary, pause.
/// </summary>
public sealed class SettingsModel(RecoverlyDb db, TimeProvider time, DispatchSignal signal, CurrentOwner owner, OwnerTextPolicy policy,
    LineVerification lines, TwilioLookup lineTypes, VapidKeys vapid, PushDelivery push) : AppPageModel
{
    /// <summary>Line-type checks are offered only when the installation has lookups (<c>Twilio:LookupBaseUrl</c>).</summary>
    public bool LineTypeChecksOffered => lineTypes.Enabled;
    public string LineTypeCheckCost => lineTypes.CostPerLookup;

    public string TextBack { get; private set; } = "";
    public string AfterHours { get; private set; } = "";
    public bool UseAfterHours { get; private set; }
    public TemplateCheck TextBackCheck { get; private set; } = null!;
    public TemplateCheck AfterHoursCheck { get; private set; } = null!;
    public bool OfferSmartFix { get; private set; }
    public OwnerAlertConsent AlertState { get; private set; }
    public List<QuickReply> QuickReplyList { get; private set; } = [];
    /// <summary>The devices that get push alerts ("phone alerts"), oldest first.</summary>
    public List<PushDevice> Devices { get; private set; } = [];
    /// <summary>The application server key the browser subscribes with (public; the private half never leaves the server).</summary>
    public string PushPublicKey { get; private set; } = "";
    /// <summary>What the owner typed when it was refused, shown back in its field.</summary>
    public string? TypedBookingLink { get; private set; }
    public string? TypedQuickReply { get; private set; }
    public string? TypedBusinessLine { get; private set; }
    public Recoverly.Pages.Shared.LineVerificationView Line { get; private set; } = null!;

    /// <summary>The section the messages below belong to (its id on the page).</summary>
    public string? Section { get; private set; }
    public List<string> Errors { get; } = [];
    public List<string> Warnings { get; } = [];
    public string? Saved { get; private set; }

    /// <summary>The hours fields: the stored hours, or what the owner typed when it was refused (with the problems by field).</summary>
    public HoursInput Hours { get; private set; } = null!;
    public Dictionary<string, string> HoursErrors { get; private set; } = [];

    /// <summary>The emergency words field: the business's list one a line, or what the owner typed when it was refused.</summary>
    public string EmergencyWordsText { get; private set; } = "";

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task OnGetAsync(string? saved, CancellationToken ct)
    {
        await LoadAsync(ct);
        Section = saved;
        Saved = saved switch
        {
            "templates" => "Text-back saved.",
            "hours" => "Hours saved.",
            "calls" => "Call settings saved.",
            "line" => "Business line saved. Call-through is off until you verify this line.",
            "code-sent" => $"We're calling {Phones.FormatForDisplay(Business.BusinessPhone)} now: type the code it says below.",
            "line-verified" => "Business line verified. Call-through is on: calls to your Recoverly number ring your line first.",
            "alerts" => "Alert settings saved.",
            "alerts-requested" => $"We texted {Phones.FormatForDisplay(Business.OwnerPhone ?? "")}: reply YES to that text to start alerts.",
            "alerts-off" => "Text alerts are off. We won't text you alerts until you turn them on and confirm again.",
            "line-type" => Business.LineTypeLookupOff
                ? "Line-type check off: every new caller is texted, and landlines show up as failed texts."
                : "Line-type check on: landline callers aren't texted.",
            "texting" => Business.TextingPaused ? "Texting paused. Missed calls are still recorded." : "Texting is on.",
            "booking" => Business.BookingLink is null ? "Booking link removed." : "Booking link saved: {booking_link} in your texts becomes it.",
            "quick-replies" => "Quick replies saved.",
            "emergency" => "Emergency words saved.",
            "push-on" => "Phone alerts are on for this device.",
            "push-removed" => "That device no longer gets phone alerts.",
            "overnight" => Business.HoldTextBacksOvernight
                ? "Calls missed between 9 pm and 8 am now get their text-back at 8 am."
                : "Text-backs go at once again, day and night.",
            "summary" => Business.WeeklySummary
                ? $"Weekly summary on: it goes to {Business.OwnerEmail} every Monday morning."
                : "Weekly summary off.",
            _ => null,
        };
    }

    /// <summary>The live preview: the server's own template rules and segment calculator, so the editor can't disagree with the send.</summary>
    public IActionResult OnPostPreview(string? template)
    {
        var check = TemplateRules.Check(Normalize(template), Business.Name, Business.BookingLink);
        return new JsonResult(new
        {
            text = check.Rendered,
            encoding = check.EncodingName,
            segments = check.Segments.Segments,
            characters = check.Segments.Characters,
            perSegment = check.PerSegment,
            nonGsm = check.Segments.NonGsmCharacters,
            errors = check.Errors,
            warnings = check.Warnings.Select(w => w.Text),
            smartFixed = check.SmartFixed,
            canSave = check.CanSave,
        });
    }

    public async Task<IActionResult> OnPostTemplatesAsync(string? textBack, bool useAfterHours, string? afterHours, string? smartQuotes,
        CancellationToken ct)
    {
        var text = Normalize(textBack);
        var after = Normalize(afterHours);
        if (smartQuotes == "replace")
        {
            text = SegmentCalculator.ReplaceSmartCharacters(text);
            after = SegmentCalculator.ReplaceSmartCharacters(after);
        }
        useAfterHours = useAfterHours && after.Trim().Length > 0;
        var checks = new List<(string Name, TemplateCheck Check)> { ("Business hours", TemplateRules.Check(text, Business.Name, Business.BookingLink)) };
        if (useAfterHours) checks.Add(("After hours", TemplateRules.Check(after, Business.Name, Business.BookingLink)));

        Section = "templates";
        foreach (var (name, check) in checks)
        {
            Errors.AddRange(check.Errors.Select(e => $"{name}: {e}"));
            // The smart-quotes warning is offered as a one-click fix instead.
            Warnings.AddRange(check.Warnings.Where(w => w.Kind != TemplateWarningKind.SmartQuotes).Select(w => $"{name}: {w.Text}"));
        }
        var smart = checks.Any(c => c.Check.SmartFixed is not null) && smartQuotes != "keep";
        if (Errors.Count > 0 || smart)
        {
            await LoadAsync(ct);
            (TextBack, AfterHours, UseAfterHours) = (text, after, useAfterHours || after.Length > 0);
            CheckTemplates();
            OfferSmartFix = smart && Errors.Count == 0;
            if (Errors.Count > 0) Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }

        string? stored = text == TextTemplates.DefaultTextBack ? null : text;
        string? storedAfter = useAfterHours ? after : null;
        await UpdateAsync(s => s.SetProperty(b => b.TextBackTemplate, stored).SetProperty(b => b.AfterHoursTemplate, storedAfter), ct);
        if (Warnings.Count == 0) return Redirect("/app/settings?saved=templates#templates");
        // Saved, with warnings to read: show them instead of redirecting them away.
        await LoadAsync(ct);
        Saved = "Text-back saved — but please read the warning below.";
        return Page();
    }

    /// <summary>
    /// The booking link <c>{booking_link}</c> becomes. It can't be removed while the text-back or a quick reply uses it:
    /// callers would get the placeholder as typed.
    /// </summary>
    public async Task<IActionResult> OnPostBookingLinkAsync(string? bookingLink, CancellationToken ct)
    {
        Section = "booking";
        if (BookingLink.Validate(bookingLink, out var link) is { } problem) Errors.Add(problem);
        else if (link is null)
        {
            var business = await db.Businesses.AsNoTracking().FirstAsync(b => b.Id == Business.Id, ct);
            var quickReplies = await QuickReplies.ListAsync(db, Business.Id, ct);
            if (TemplateRules.UsesBookingLink(business.TextBackTemplate) || TemplateRules.UsesBookingLink(business.AfterHoursTemplate)
                || quickReplies.Any(q => TemplateRules.UsesBookingLink(q.Text)))
                Errors.Add("Your text-back or a quick reply uses {booking_link}: take it out there first, then remove the link.");
        }
        if (Errors.Count > 0)
        {
            var page = await InvalidAsync(ct);
            TypedBookingLink = bookingLink;
            return page;
        }
        await UpdateAsync(s => s.SetProperty(b => b.BookingLink, link), ct);
        return Redirect("/app/settings?saved=booking#booking");
    }

    public async Task<IActionResult> OnPostQuickReplyAsync(string? text, CancellationToken ct)
    {
        Section = "quick-replies";
        if (await QuickReplies.AddAsync(db, Business, text, Now, ct) is { } problem)
        {
            Errors.Add(problem);
            var page = await InvalidAsync(ct);
            TypedQuickReply = text;
            return page;
        }
        return Redirect("/app/settings?saved=quick-replies#quick-replies");
    }

    public async Task<IActionResult> OnPostDeleteQuickReplyAsync(long quickReplyId, CancellationToken ct)
    {
        if (!await QuickReplies.DeleteAsync(db, Business.Id, quickReplyId, ct)) return NotFound();
        return Redirect("/app/settings?saved=quick-replies#quick-replies");
    }

    /// <summary>The weekly summary e-mail: opt-in, to the address given here (also where e-mail alerts go).</summary>
    public async Task<IActionResult> OnPostWeeklySummaryAsync(bool on, string? ownerEmail, CancellationToken ct)
    {
        Section = "summary";
        var email = Accounts.NormalizeEmail(ownerEmail);
        if (on && Accounts.ValidateEmail(email) is { } problem) Errors.Add(problem);
        if (Errors.Count > 0) return await InvalidAsync(ct);
        var token = Business.SummaryStopToken ?? WeeklySummary.NewStopToken();
        await UpdateAsync(s => s
            .SetProperty(b => b.WeeklySummary, on)
            .SetProperty(b => b.SummaryStopToken, token)
            .SetProperty(b => b.OwnerEmail, b => on && email.Length > 0 ? email : b.OwnerEmail), ct);
        return Redirect("/app/settings?saved=summary#summary");
    }

    public async Task<IActionResult> OnPostHoursAsync(string? timeZone, string? opensAt, string? closesAt, string[]? openDays, bool alwaysOpen,
        CancellationToken ct)
    {
        Section = "hours";
        var typed = new HoursInput(timeZone, opensAt, closesAt, openDays ?? [], alwaysOpen);
        var errors = HoursForm.Validate(typed, out var hours);
        if (hours is null)
        {
            Errors.AddRange(errors.Values);
            var page = await InvalidAsync(ct);
            (Hours, HoursErrors) = (typed, errors);
            return page;
        }

        await UpdateAsync(s => s
            .SetProperty(b => b.OpensAt, hours.OpensAt)
            .SetProperty(b => b.ClosesAt, hours.ClosesAt)
            .SetProperty(b => b.OpenDays, hours.OpenDays)
            .SetProperty(b => b.TimeZone, hours.TimeZone), ct);
        return Redirect("/app/settings?saved=hours#hours");
    }

    public async Task<IActionResult> OnPostCallsAsync(int? episodeHours, string? mode, string? greeting, CancellationToken ct)
    {
        Section = "calls";
        if (episodeHours is not (>= 1 and <= 72)) Errors.Add("The repeat-call window is between 1 and 72 hours.");
        if (!Enum.TryParse<CallMode>(mode, out var callMode) || !Enum.IsDefined(callMode)) Errors.Add("Choose how calls reach Recoverly.");
        if (!Enum.TryParse<GreetingKind>(greeting, out var greet) || !Enum.IsDefined(greet)) Errors.Add("Choose what callers hear.");
        else if (callMode == CallMode.CallThrough && Business.VerifiedLine != Business.BusinessPhone)
            Errors.Add("Call-through rings your business line, so verify that line first: press “Call me with a code” below.");
        if (Errors.Count > 0) return await InvalidAsync(ct);

        var minutes = episodeHours!.Value * 60;
        await UpdateAsync(s => s
            .SetProperty(b => b.EpisodeWindowMinutes, minutes)
            .SetProperty(b => b.Mode, callMode)
            .SetProperty(b => b.Greeting, greet), ct);
        return Redirect("/app/settings?saved=calls#calls");
    }

    /// <summary>The number customers call. A new line starts unverified: call-through goes off until the owner proves it again.</summary>
    public async Task<IActionResult> OnPostBusinessLineAsync(string? businessLine, CancellationToken ct)
    {
        Section = "calls";
        var line = Phones.NormalizeUserInput(businessLine);
        if (line is null) Errors.Add("Enter the phone number your customers call, e.g. (512) 555-0142.");
        else if (lines.LineProblem(line) is { } problem) Errors.Add(problem);
        else if (await db.Numbers.AnyAsync(n => n.E164 == line, ct)) Errors.Add("That's a Recoverly number. Enter the number your customers call.");
        if (Errors.Count > 0)
        {
            var page = await InvalidAsync(ct);
            TypedBusinessLine = businessLine;
            return page;
        }
        if (line == Business.BusinessPhone) return Redirect("/app/settings?saved=calls#calls");
        using (await db.EnterWriteGateAsync(ct)) await LineVerification.ChangeLineAsync(db, Business.Id, line!, ct);
        return Redirect("/app/settings?saved=line#calls");
    }

    /// <summary>"Call me with a code": the provider rings the business line and says a code (rate limited).</summary>
    public async Task<IActionResult> OnPostCallMeAsync(CancellationToken ct)
    {
        Section = "calls";
        if (await lines.CallWithCodeAsync(Business.Id, ct) is { } problem)
        {
            Errors.Add(problem);
            return await InvalidAsync(ct);
        }
        return Redirect("/app/settings?saved=code-sent#line-verification");
    }

    public async Task<IActionResult> OnPostLineCodeAsync(string? code, CancellationToken ct)
    {
        Section = "calls";
        if (await lines.EnterCodeAsync(Business.Id, code, ct) is { } problem)
        {
            Errors.Add(problem);
            return await InvalidAsync(ct);
        }
        return Redirect("/app/settings?saved=line-verified#calls");
    }

    /// <summary>
    /// Text alerts on: the owner's opt-in is recorded (the disclosure version, IP and user agent) and the
    /// "reply YES" text queued; alerts start only after YES. Off turns them off. The rules are
    /// <see cref="OwnerAlertSubscription"/>'s; this page only reads the form.
    /// </summary>
    public async Task<IActionResult> OnPostTextAlertsAsync(bool on, string? ownerPhone, bool agree, CancellationToken ct)
    {
        Section = "alerts";
        var now = Now;
        var current = Business.OwnerPhone;
        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        var userAgent = Request.Headers.UserAgent.ToString();
        var turnedOff = ConsentEvidence.OwnerAction("settings page", ip, userAgent, owner.Email);

        if (!on)
        {
            if (current is not null)
            {
                await using var tx = await db.BeginWriteAsync(ct);
                await OwnerAlertSubscription.TurnOffAsync(db, Business.Id, current, turnedOff, now, ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            return Redirect("/app/settings?saved=alerts-off#alerts");
        }

        var phone = Phones.NormalizeUserInput(ownerPhone);
        if (phone is null) Errors.Add("Enter the mobile number that should get the alerts.");
        else if (phone == Business.BusinessPhone || Business.Numbers.Any(n => n.E164 == phone))
            Errors.Add("Use your own mobile number, not the business line or the Recoverly number.");
        else if (!OwnerTexting.IsAllowedCountry(phone, policy)) Errors.Add(OwnerTexting.Words(OwnerTextRefusal.CountryNotAllowed, OwnerTextKind.AlertRequest, phone));
        if (!agree) Errors.Add("Tick the box to agree to receive alert texts.");
        if (Business.Numbers.Count == 0) Errors.Add("Your business has no Recoverly number to text from yet.");
        if (Errors.Count > 0) return await InvalidAsync(ct);

        OwnerAlertRequest result;
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            // A new phone: the old one stops getting alerts (it never agreed for the new number, and vice versa).
            if (current is not null && current != phone)
                await OwnerAlertSubscription.TurnOffAsync(db, Business.Id, current, turnedOff, now, ct);
            var evidence = ConsentEvidence.WebForm(OwnerAlertSubscription.DisclosureVersion, OwnerAlertSubscription.Disclosure, ip, userAgent,
                $"Owner: {owner.Email} (settings page)");
            var request = await OwnerAlertSubscription.RequestAsync(db, Business, phone!, Business.Numbers[0].E164, evidence, policy, now, ct);
            result = request.Outcome;
            if (result == OwnerAlertRequest.TooSoon)
            {
                Errors.Add($"We texted {Phones.FormatForDisplay(phone!)} a few minutes ago. Reply YES to that text; you can ask for a new one after {OwnerAlertSubscription.RequestSpacing.TotalMinutes:0} minutes.");
                return await InvalidAsync(ct);
            }
            if (request.Refusal is { } refusal)
            {
                // Not committed: nothing is recorded and the old phone keeps its alerts.
                Errors.Add(OwnerTexting.Words(refusal, OwnerTextKind.AlertRequest, phone!));
                return await InvalidAsync(ct);
            }
            await db.Businesses.Where(b => b.Id == Business.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.OwnerPhone, phone), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        if (result == OwnerAlertRequest.AlreadyOn) return Redirect("/app/settings?saved=alerts#alerts");
        signal.Notify();
        return Redirect("/app/settings?saved=alerts-requested#alerts");
    }

    public async Task<IActionResult> OnPostEmailAlertsAsync(bool on, string? ownerEmail, CancellationToken ct)
    {
        Section = "alerts";
        var email = Accounts.NormalizeEmail(ownerEmail);
        if (on && Accounts.ValidateEmail(email) is { } problem) Errors.Add(problem);
        if (Errors.Count > 0) return await InvalidAsync(ct);
        await UpdateAsync(s => s
            .SetProperty(b => b.EmailAlerts, on)
            .SetProperty(b => b.OwnerEmail, b => email.Length > 0 ? email : b.OwnerEmail), ct);
        return Redirect("/app/settings?saved=alerts#alerts");
    }

    /// <summary>
    /// The browser's push subscription, posted by wwwroot/js/push.js after the owner tapped "Turn on phone alerts" and
    /// allowed notifications. Answers JSON: the page shows the error, or reloads to list the device.
    /// </summary>
    public async Task<IActionResult> OnPostPushSubscribeAsync(string? endpoint, string? p256dh, string? auth, CancellationToken ct)
    {
        var result = await PushDevices.SubscribeAsync(db, Business.Id, endpoint, p256dh, auth, Request.Headers.UserAgent.ToString(),
            push.LoopbackAllowed, Now, ct);
        return result.Error is { } error
            ? new JsonResult(new { error }) { StatusCode = StatusCodes.Status400BadRequest }
            : new JsonResult(new { device = result.Device!.Id, label = result.Device.Label });
    }

    public async Task<IActionResult> OnPostRemoveDeviceAsync(long deviceId, CancellationToken ct)
    {
        Section = "push";
        if (!await PushDevices.RemoveAsync(db, Business.Id, deviceId, ct))
        {
            Errors.Add("That device is not on your list (it may have been removed already).");
            return await InvalidAsync(ct);
        }
        return Redirect("/app/settings?saved=push-removed#push");
    }

    public async Task<IActionResult> OnPostQuietHoursAsync(bool on, string? start, string? end, CancellationToken ct)
    {
        Section = "alerts";
        var from = HoursForm.ParseTime(start);
        var until = HoursForm.ParseTime(end);
        if (on && (from is null || until is null)) Errors.Add("Give quiet hours a start and an end (like 21:00 and 07:00).");
        else if (on && from == until) Errors.Add("Quiet hours can't start and end at the same time.");
        if (Errors.Count > 0) return await InvalidAsync(ct);
        TimeOnly? quietStart = on ? from : null, quietEnd = on ? until : null;
        await UpdateAsync(s => s.SetProperty(b => b.QuietHoursStart, quietStart).SetProperty(b => b.QuietHoursEnd, quietEnd), ct);
        return Redirect("/app/settings?saved=alerts#alerts");
    }

    /// <summary>The owner's emergency words (<see cref="EmergencyWords"/>); "reset" goes back to the suggested list.</summary>
    public async Task<IActionResult> OnPostEmergencyWordsAsync(string? words, bool reset, CancellationToken ct)
    {
        Section = "emergency";
        if (reset)
        {
            await UpdateAsync(s => s.SetProperty(b => b.EmergencyWords, (string?)null), ct);
            return Redirect("/app/settings?saved=emergency#emergency");
        }
        Errors.AddRange(EmergencyWords.Parse(words, out var list));
        if (Errors.Count > 0)
        {
            var page = await InvalidAsync(ct);
            EmergencyWordsText = words ?? "";
            return page;
        }
        var stored = EmergencyWords.Store(list);
        await UpdateAsync(s => s.SetProperty(b => b.EmergencyWords, stored), ct);
        return Redirect("/app/settings?saved=emergency#emergency");
    }

    public async Task<IActionResult> OnPostLineTypeAsync(bool on, CancellationToken ct)
    {
        await UpdateAsync(s => s.SetProperty(b => b.LineTypeLookupOff, !on), ct);
        return Redirect("/app/settings?saved=line-type#line-type");
    }

    /// <summary>The overnight option: hold text-backs for calls missed from 9 pm to 8 am until 8 am (docs/product/overnight-hold.md).</summary>
    public async Task<IActionResult> OnPostOvernightAsync(string? on, CancellationToken ct)
    {
        if (on is not (null or "true" or "false"))
        {
            Section = "overnight";
            Errors.Add("Choose whether to hold night-time text-backs until 8 am.");
            return await InvalidAsync(ct);
        }
        var hold = on == "true";
        await UpdateAsync(s => s.SetProperty(b => b.HoldTextBacksOvernight, hold), ct);
        return Redirect("/app/settings?saved=overnight#overnight");
    }

    public async Task<IActionResult> OnPostTextingAsync(bool paused, CancellationToken ct)
    {
        await UpdateAsync(s => s.SetProperty(b => b.TextingPaused, paused), ct);
        return Redirect("/app/settings?saved=texting#texting");
    }

    private async Task UpdateAsync(Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Business>> set, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        await db.Businesses.Where(b => b.Id == Business.Id).ExecuteUpdateAsync(set, ct);
    }

    private async Task<IActionResult> InvalidAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var fresh = await db.Businesses.AsNoTracking().FirstAsync(b => b.Id == Business.Id, ct);
        Hours = HoursInput.From(fresh);
        TextBack = fresh.TextBackTemplate ?? TextTemplates.DefaultTextBack;
        AfterHours = fresh.AfterHoursTemplate ?? "";
        UseAfterHours = fresh.AfterHoursTemplate is not null;
        CheckTemplates();
        AlertState = fresh.OwnerPhone is { } phone ? await OwnerAlertSubscription.StateAsync(db, fresh.Id, phone, ct) : OwnerAlertConsent.None;
        QuickReplyList = await QuickReplies.ListAsync(db, fresh.Id, ct);
        EmergencyWordsText = string.Join('\n', EmergencyWords.For(fresh));
        Line = new(fresh.BusinessPhone, lines.StateOf(fresh, Now), lines.ProviderCanCall, fresh.LineVerifiedAt);
        Devices = await PushDevices.ListAsync(db, fresh.Id, ct);
        PushPublicKey = (await vapid.GetAsync(ct)).PublicKey;
    }

    private void CheckTemplates()
    {
        TextBackCheck = TemplateRules.Check(TextBack, Business.Name, Business.BookingLink);
        AfterHoursCheck = TemplateRules.Check(AfterHours.Length > 0 ? AfterHours : TextBack, Business.Name, Business.BookingLink);
    }

    /// <summary>Browsers send textarea line breaks as CR LF; a text needs only LF.</summary>
    private static string Normalize(string? template) => (template ?? "").Replace("\r\n", "\n").Trim();
}
