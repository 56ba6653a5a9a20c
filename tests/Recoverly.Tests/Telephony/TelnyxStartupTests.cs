using Microsoft.Extensions.Configuration;
using Recoverly.Hosting;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>
/// <c>Telephony:Provider=Telnyx</c> without its keys would start and then refuse every webhook (no key to
/// verify with) or every send: it stops before listening instead, with one line naming the key.
/// </summary>
public class TelnyxStartupTests
{
    private const string PublicKey = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    private static Dictionary<string, string?> Complete() => new()
    {
        ["Telephony:Provider"] = "Telnyx",
        ["Telnyx:ApiKey"] = "KEY0123",
        ["Telnyx:PublicKey"] = PublicKey,
        ["Recoverly:PublicBaseUrl"] = "https://recoverly.example.com",
        ["Email:SmtpHost"] = "smtp.example.com",
    };

    public static TheoryData<string, string?, string?> Configurations => new()
    {
        { "complete", null, null },
        { "no API key", "Telnyx:ApiKey", "Telnyx:ApiKey is required" },
        { "no public key", "Telnyx:PublicKey", "Telnyx:PublicKey is required" },
        { "public key not base64", "Telnyx:PublicKey=not-a-key", "Telnyx:PublicKey must be the base64 of a 32-byte Ed25519 public key" },
        { "public key too short", "Telnyx:PublicKey=AAAA", "Telnyx:PublicKey must be the base64" },
        { "no public base URL", "Recoverly:PublicBaseUrl", "Recoverly:PublicBaseUrl is required with Telephony:Provider=Telnyx" },
        { "plain http to a public host", "Recoverly:PublicBaseUrl=http://recoverly.example.com", "must be https://" },
        { "relative base URL", "Recoverly:PublicBaseUrl=recoverly.example.com", "must be an absolute https:// address" },
        { "http on loopback is fine", "Recoverly:PublicBaseUrl=http://127.0.0.1:5080", null },
        { "API base not a URL", "Telnyx:ApiBaseUrl=api.telnyx", "Telnyx:ApiBaseUrl must be an absolute https:// address" },
        { "TeXML application id", "Telnyx:TexmlApplicationId=1494404757140276705", null },
        { "TeXML application name instead of its id", "Telnyx:TexmlApplicationId=Recoverly voice", "Telnyx:TexmlApplicationId must be the TeXML application's id" },
        { "TeXML application URL instead of its id", "Telnyx:TexmlApplicationId=https://portal.telnyx.com/x", "Telnyx:TexmlApplicationId must be the TeXML application's id" },
        { "a public address without mail", "Email:SmtpHost", "Email:SmtpHost is required" },
        { "a provider that does not exist", "Telephony:Provider=Telnix", "Telephony:Provider must be Simulator, Twilio or Telnyx, not 'Telnix'" },
        { "Twilio needs no Telnyx keys", "Telephony:Provider=Twilio", null },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void A_Telnyx_configuration_that_cannot_work_is_named_in_one_line(string what, string? change, string? problem)
    {
        var settings = Complete();
        if (change is not null)
        {
            var parts = change.Split('=', 2);
            settings[parts[0]] = parts.Length == 2 ? parts[1] : null;
            if (parts[0] == "Telephony:Provider" && parts[1] == "Twilio")
            {
                settings.Remove("Telnyx:ApiKey");
                settings.Remove("Telnyx:PublicKey");
                settings["Twilio:AccountSid"] = "AC1";
                settings["Twilio:AuthToken"] = "t";
            }
        }

        var found = StartupChecks.Problem(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

        if (problem is null) Assert.True(found is null, $"{what}: {found}");
        else
        {
            Assert.NotNull(found);
            Assert.Contains(problem, found);
            Assert.DoesNotContain('\n', found);
        }
    }

    [Collection(AppProcessCollection.Name)]
    public class AsAProcess
    {
        [Fact]
        public async Task Serve_without_the_Telnyx_API_key_prints_one_line_and_exits_non_zero()
        {
            await using var app = await AppProcess.CreateAsync(Db.Sqlite, settings: new Dictionary<string, string?>
            {
                ["Telephony__Provider"] = "Telnyx", ["Telnyx__PublicKey"] = PublicKey, ["Telnyx__ApiKey"] = null,
            });

            var result = await app.RunCliAsync("serve", "--urls", app.BaseUrl);

            Assert.NotEqual(0, result.ExitCode);
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("Recoverly cannot start: Telnyx:ApiKey is required with Telephony:Provider=Telnyx (an API v2 key from the Telnyx portal).", line.Trim());
        }

        [Fact]
        public async Task Serve_with_the_Telnyx_keys_starts_and_answers_health_checks()
        {
            await using var app = await AppProcess.CreateAsync(Db.Sqlite, settings: new Dictionary<string, string?>
            {
                ["Telephony__Provider"] = "Telnyx", ["Telnyx__PublicKey"] = PublicKey, ["Telnyx__ApiKey"] = "KEY0123",
                ["Telnyx__ApiBaseUrl"] = "http://127.0.0.1:9",
            });

            await app.StartServerAsync(); // returns once /healthz answers 200
            Assert.True(app.ServerRunning);
            await app.StopServerAsync();
        }
    }
}
