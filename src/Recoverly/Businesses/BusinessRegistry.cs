using Microsoft.EntityFrameworkCore;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Businesses;

public sealed record NewBusiness(string Name, string Number, string BusinessPhone, string? OwnerPhone, string? OwnerEmail,
    CallMode Mode, string TimeZone);

/// <summary>Creates businesses (CLI, demo seed, onboarding) and starts the owner's alert opt-in when a phone is given.</summary>
public sealed class BusinessRegistry(RecoverlyDb db, TimeProvider time, DispatchSignal signal,
    Microsoft.Extensions.Options.IOptions<RecoverlyOptions> options, SenderRegistrations? registrations = null)
{
    /// <summary>Validates everything first; returns the problem in one line, or null and the new business.</summary>
    public static string? Validate(NewBusiness b)
    {
        if (string.IsNullOrWhiteSpace(b.Name) || b.Name.Length > 120) return "--name is required (at most 120 characters)";
        if (Phones.NormalizeUserInput(b.Number) is null) return $"--number '{b.Number}' is not a phone number";
        if (Phones.NormalizeUserInput(b.BusinessPhone) is null) return $"--business-phone '{b.BusinessPhone}' is not a phone number";
        if (b.OwnerPhone is not null && Phones.NormalizeUserInput(b.OwnerPhone) is null) return $"--owner-phone '{b.OwnerPhone}' is not a phone number";
        if (b.OwnerEmail is not null && (b.OwnerEmail.Length > 254 || !b.OwnerEmail.Contains('@'))) return $"--owner-email '{b.OwnerEmail}' is not an email address";
        if (!HoursForm.IsTimeZone(b.TimeZone)) return $"--time-zone '{b.TimeZone}' is not an IANA time zone";
        return null;
    }

    public async Task<(Business? Business, string? Error)> CreateAsync(NewBusiness request, string consentEvidence, CancellationToken ct)
    {
        if (Validate(request) is { } problem) return (null, problem);
        var number = Phones.NormalizeUserInput(request.Number)!;
        var businessPhone = Phones.NormalizeUserInput(request.BusinessPhone)!;
        var ownerPhone = request.OwnerPhone is null ? null : Phones.NormalizeUserInput(request.OwnerPhone);
        if (number == businessPhone || number == ownerPhone) return (null, "--number must be the Recoverly number, not the business line or owner's phone");
        if (request.Mode == CallMode.CallThrough && LineVerification.LineProblem(businessPhone, options.Value.AllowedRegions) is { } lineProblem)
            return (null, $"--business-phone can't be dialled in call-through mode: {lineProblem}");

        Business business;
        // The write gate is held until the transaction is disposed: the registration check below writes on its own.
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            if (await db.Numbers.AnyAsync(n => n.E164 == number, ct)) return (null, $"--number {number} is already assigned to a business");
            var now = time.GetUtcNow().UtcDateTime;
            business = Business.StartTrial(request.Name.Trim(), businessPhone, number, request.TimeZone, now, registrations?.Initial ?? SenderRegistration.Registered);
            business.OwnerPhone = ownerPhone;
            business.OwnerEmail = request.OwnerEmail;
            business.Mode = request.Mode;
            // The operator adding a call-through business vouches for its line; owners prove theirs with a verification call.
            if (request.Mode == CallMode.CallThrough) (business.VerifiedLine, business.LineVerifiedAt) = (businessPhone, now);
            db.Businesses.Add(business);
            await db.SaveChangesAsync(ct);
            if (ownerPhone is not null)
                await OwnerAlertSubscription.RequestAsync(db, business, ownerPhone, number, ConsentEvidence.FromOperator(consentEvidence), policy: null, now, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        // Provisioning: ask about the number's 10DLC / toll-free registration now; until it checks out its texts are held.
        if (registrations is not null) await registrations.CheckNumberAsync(number, ct);
        signal.Notify();
        return (business, null);
    }
}
