using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Telephony;

namespace Recoverly.Owners;

/// <summary>What the owner typed on the first onboarding step (raw form values).</summary>
public sealed record BusinessDetails(string? Name, string? BusinessLine, HoursInput Hours);

/// <summary><see cref="BusinessDetails"/> once valid: normalised and typed.</summary>
public sealed record ValidBusinessDetails(string Name, string BusinessLine, ValidHours Hours);

/// <summary>
/// The onboarding wizard's decisions (docs/product/owner-alerts.md, "Onboarding"): validating business details, creating the business
/// with its Recoverly number for the signed-in account, the owner-alert opt-in, and forwarding
/// verification. Pages stay thin; every method is scoped to the business it is given.
/// </summary>
public sealed class OwnerOnboarding(RecoverlyDb db, TimeProvider time, DispatchSignal signal, SenderRegistrations registrations,
    INumberProvisioning numbers, OwnerTextPolicy policy, ILogger<OwnerOnboarding> log)
{
    public const string DefaultTimeZone = "America/Chicago";


    /// <summary>Field name → problem, in the owner's words; empty when the details are valid.</summary>
    public static Dictionary<string, string> Validate(BusinessDetails d, IReadOnlyCollection<string> allowedRegions, out ValidBusinessDetails? valid)
    {
        valid = null;
        var errors = new Dictionary<string, string>();
        var name = d.Name?.Trim() ?? "";
        if (name.Length == 0) errors["Name"] = "Enter your business name, as customers know it.";
        else if (name.Length > 120) errors["Name"] = "Keep the business name under 120 characters.";

        var line = Phones.NormalizeUserInput(d.BusinessLine);
        if (line is null) errors["BusinessLine"] = "Enter the phone number your customers call, e.g. (512) 555-0142.";
        else if (LineVerification.LineProblem(line, allowedRegions) is { } lineProblem) errors["BusinessLine"] = lineProblem;

        var hoursErrors = HoursForm.Validate(d.Hours, out var hours);
        foreach (var (field, problem) in hoursErrors) errors[field] = problem;

        if (errors.Count == 0) valid = new ValidBusinessDetails(name, line!, hours!);
        return errors;
    }

    /// <summary><see cref="Validate(BusinessDetails, IReadOnlyCollection{string}, out ValidBusinessDetails?)"/> with this installation's countries.</summary>
    public Dictionary<string, string> Validate(BusinessDetails d, out ValidBusinessDetails? valid) => Validate(d, policy.AllowedRegions, out valid);

    public Task<FreeNumbers> FreeNumbersAsync(CancellationToken ct) => numbers.FreeNumbersAsync(ct);

    public bool OwnerChoosesNumber => numbers.OwnerChooses;

    /// <summary>
    /// Creates the business, its Recoverly number and the account's link to it in one transaction.
    /// <paramref name="chosenNumber"/> is the owner's pick (Twilio), or the number the page showed (simulator pool).
    /// </summary>
    public async Task<(Business? Business, string? Error)> CreateBusinessAsync(long accountId, ValidBusinessDetails details,
        string? chosenNumber, CancellationToken ct)
    {
        var (business, problem) = await CreateBusinessInTransactionAsync(accountId, details, chosenNumber, ct);
        // Provisioning, once the write transaction is over: ask about the number's 10DLC / toll-free registration; until it checks out its texts are held.
        if (business is not null) await registrations.CheckNumberAsync(business.Numbers[0].E164, ct);
        return (business, problem);
    }

    private async Task<(Business? Business, string? Error)> CreateBusinessInTransactionAsync(long accountId, ValidBusinessDetails details,
        string? chosenNumber, CancellationToken ct)
    {
        if (await db.OwnerAccounts.AsNoTracking().AnyAsync(a => a.Id == accountId && a.BusinessId != null, ct))
            return (null, "Your account already has a business. One account runs one business for now.");
        // A number is a real line on the operator's account: it goes only to an owner who proved their email.
        if (!await Accounts.IsAccountEmailVerifiedAsync(db, accountId, ct))
            return (null, "Confirm your email first: open the link we sent you, then pick your number.");
        if (await db.Numbers.AnyAsync(n => n.E164 == details.BusinessLine, ct))
            return (null, "That's a Recoverly number. Enter the number your customers call.");

        string number;
        if (numbers.OwnerChooses)
        {
            if (Phones.NormalizeUserInput(chosenNumber) is not { } picked) return (null, "Pick a number from the list.");
            var free = await numbers.FreeNumbersAsync(ct);
            if (free.Numbers.All(n => n.E164 != picked)) return (null, free.Problem ?? "That number isn't free any more. Pick another.");
            number = picked;
        }
        else
        {
            // The number the page showed, unless someone took it meanwhile: then the next free one.
            var free = await numbers.FreeNumbersAsync(ct);
            var shown = Phones.NormalizeUserInput(chosenNumber);
            var pick = free.Numbers.FirstOrDefault(n => n.E164 == shown && n.E164 != details.BusinessLine)
                       ?? free.Numbers.FirstOrDefault(n => n.E164 != details.BusinessLine);
            if (pick is null) return (null, free.Problem ?? "No Recoverly number is free right now.");
            number = pick.E164;
        }
        if (number == details.BusinessLine) return (null, "Your business line can't also be its Recoverly number. Pick another.");
        // Point the number at us before recording it: a number that is configured but unassigned only gets a polite <Reject/>.
        if (await numbers.PrepareAsync(number, ct) is { } problem) return (null, problem);

        var now = time.GetUtcNow().UtcDateTime;
        await using var tx = await db.BeginWriteAsync(ct);
        var account = await db.OwnerAccounts.FirstOrDefaultAsync(a => a.Id == accountId, ct);
        if (account is null) return (null, "Your session has ended. Log in again.");
        if (account.BusinessId is not null) return (null, "Your account already has a business. One account runs one business for now.");
        var business = Business.StartTrial(details.Name, details.BusinessLine, number, details.Hours.TimeZone, now, registrations.Initial);
        business.OpensAt = details.Hours.OpensAt;
        business.ClosesAt = details.Hours.ClosesAt;
        business.OpenDays = details.Hours.OpenDays;
        business.Mode = CallMode.Forwarding;
        db.Businesses.Add(business);
        try
        {
            await db.SaveChangesAsync(ct);
            account.BusinessId = business.Id;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The unique indexes decided a race: the number went to another business, or this account got one meanwhile.
            db.ChangeTracker.Clear();
            return (null, "That number was just taken, or your account already has a business. Reload the page and try again.");
        }
        log.LogInformation("Onboarding: account {AccountId} created business {BusinessId} with number {Number}",
            accountId, business.Id, Phones.Mask(number));
        return (business, null);
    }

    public async Task SetGreetingAsync(long businessId, GreetingKind greeting, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        await db.Businesses.Where(b => b.Id == businessId).ExecuteUpdateAsync(s => s.SetProperty(b => b.Greeting, greeting), ct);
    }

    /// <summary>
    /// The owner's carrier or phone system, and how calls reach Recoverly with it. Call-through goes on only for a verified
    /// line; until then the business stays in forwarding mode (docs/product/call-through.md).
    /// </summary>
    public async Task SetForwardingCarrierAsync(long businessId, string carrierKey, CallMode mode, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        await db.Businesses.Where(b => b.Id == businessId).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.ForwardingCarrier, carrierKey)
            .SetProperty(b => b.Mode, b => mode == CallMode.CallThrough && b.VerifiedLine != b.BusinessPhone ? CallMode.Forwarding : mode), ct);
    }

    /// <summary>
    /// Saves the owner's mobile number and, only when the box was ticked, records the opt-in with its
    /// evidence and queues the "reply YES" text (alerts wait for that YES). Returns the problem, or null.
    /// </summary>
    public async Task<string?> SaveOwnerAlertsAsync(Business business, string? mobile, bool ticked, string? ip, string? userAgent,
        CancellationToken ct)
    {
        string? phone = null;
        if (!string.IsNullOrWhiteSpace(mobile))
        {
            phone = Phones.NormalizeUserInput(mobile);
            if (phone is null) return "Enter your mobile number, e.g. (512) 555-0142.";
        }
        if (ticked && phone is null) return "Enter the mobile number the alerts should go to.";
        var recoverlyNumber = await db.Numbers.AsNoTracking().Where(n => n.BusinessId == business.Id).OrderBy(n => n.Id)
            .Select(n => n.E164).FirstAsync(ct);
        if (phone is not null && await db.Numbers.AnyAsync(n => n.E164 == phone, ct))
            return "That's a Recoverly number. Enter your own mobile number.";
        if (phone is not null && !OwnerTexting.IsAllowedCountry(phone, policy))
            return OwnerTexting.Words(OwnerTextRefusal.CountryNotAllowed, OwnerTextKind.AlertRequest, phone);

        var now = time.GetUtcNow().UtcDateTime;
        await using var tx = await db.BeginWriteAsync(ct);
        var tracked = await db.Businesses.FirstAsync(b => b.Id == business.Id, ct);
        if (phone is not null) tracked.OwnerPhone = phone;
        var queued = false;
        if (ticked)
        {
            var evidence = ConsentEvidence.WebForm(OwnerAlertSubscription.DisclosureVersion, OwnerAlertSubscription.Disclosure, ip, userAgent);
            var request = await OwnerAlertSubscription.RequestAsync(db, tracked, phone!, recoverlyNumber, evidence, policy, now, ct);
            // Not committed: nothing is recorded, not even the phone.
            if (request.Refusal is { } refusal) return OwnerTexting.Words(refusal, OwnerTextKind.AlertRequest, phone!);
            queued = request.Outcome == OwnerAlertRequest.Requested;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (queued) signal.Notify();
        return null;
    }

    public Task<OwnerAlertConsent> OwnerAlertStateAsync(Business business, CancellationToken ct) =>
        business.OwnerPhone is { } phone ? OwnerAlertSubscription.StateAsync(db, business.Id, phone, ct) : Task.FromResult(OwnerAlertConsent.None);

    /// <summary>
    /// Forwarding is verified by the first missed call to this business at or after <paramref name="since"/> (when the
    /// owner opened the verify step); it also completes onboarding. Returns when it was verified, or null.
    /// </summary>
    public async Task<DateTime?> CheckForwardingAsync(long businessId, DateTime since, CancellationToken ct)
    {
        var state = await db.Businesses.AsNoTracking().Where(b => b.Id == businessId)
            .Select(b => new { b.ForwardingVerifiedAt, b.CreatedAt }).FirstAsync(ct);
        if (state.ForwardingVerifiedAt is { } done) return done;
        since = DateTime.SpecifyKind(since < state.CreatedAt ? state.CreatedAt : since, DateTimeKind.Utc);
        var arrived = await db.MissedCalls.AsNoTracking()
            .Where(c => c.BusinessId == businessId && c.At >= since)
            .OrderBy(c => c.At).Select(c => (DateTime?)c.At).FirstOrDefaultAsync(ct);
        if (arrived is not { } at) return null;
        var now = time.GetUtcNow().UtcDateTime;
        using (await db.EnterWriteGateAsync(ct))
        {
            await db.Businesses.Where(b => b.Id == businessId && b.ForwardingVerifiedAt == null)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(b => b.ForwardingVerifiedAt, at)
                    .SetProperty(b => b.OnboardedAt, b => b.OnboardedAt ?? now), ct);
        }
        log.LogInformation("Onboarding: forwarding verified for business {BusinessId}", businessId);
        return at;
    }

    /// <summary>The owner chose to verify later: onboarding is complete without verification.</summary>
    public async Task FinishAsync(long businessId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        using var _ = await db.EnterWriteGateAsync(ct);
        await db.Businesses.Where(b => b.Id == businessId && b.OnboardedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.OnboardedAt, now), ct);
    }
}
