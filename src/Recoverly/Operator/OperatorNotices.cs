using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Operator;

/// <summary>Raises the notices the operator page lists (<see cref="OperatorNotice"/>); call it inside the caller's write transaction.</summary>
public static class OperatorNotices
{
    public const string KeywordRepliesMismatch = "keyword-replies";
    public const string SenderThrottled = "sender-throttled";
    public const string SenderRegistration = "sender-registration";

    public static async Task RaiseAsync(RecoverlyDb db, string topic, string message, DateTime now, CancellationToken ct) =>
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "OperatorNotices" ("Topic", "Message", "FirstAt", "LastAt", "Count")
            VALUES ({topic}, {message}, {now}, {now}, 1)
            ON CONFLICT ("Topic") DO UPDATE SET "Message" = excluded."Message", "LastAt" = excluded."LastAt", "Count" = "OperatorNotices"."Count" + 1
            """, ct);

    /// <summary>The operator's words for each keyword mismatch, naming the setting to change.</summary>
    public const string ProviderAnsweredInRecoverlyMode =
        "Twilio answered a keyword itself (the webhook carried OptOutType) while Twilio:KeywordReplies=Recoverly: callers may get two answers. " +
        "Set Twilio:KeywordReplies=Provider, or turn the account's default keyword handling off.";

    public const string ConfirmationRefusedAsOptedOut =
        "Twilio refused Recoverly's answer to a keyword with 21610 (it had already opted that phone out itself). With Twilio:KeywordReplies=Recoverly, " +
        "set it to Provider; with Provider, the account's opt-out list is wider than the default keywords (Advanced Opt-Out): list the same words there as Recoverly's.";
}
