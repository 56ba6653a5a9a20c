using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Recoverly.Hosting;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Hosting;

/// <summary>A configuration that would start but silently break refuses to start, with one line naming the key.</summary>
[Collection(AppProcessCollection.Name)]
public class StartupChecksTests
{
    private static string? Problem(params (string Key, string? Value)[] settings) =>
        StartupChecks.Problem(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value))).Build());

    private static readonly (string, string?)[] Twilio =
        [("Telephony:Provider", "Twilio"), ("Twilio:AccountSid", "AC1"), ("Twilio:AuthToken", "t"), ("urls", "http://0.0.0.0:8080")];

    public static TheoryData<string[], string?> Configurations => new()
    {
        // key=value pairs → the key the refusal names (null: starts)
        { ["urls=http://localhost:5080"], null }, // the out-of-the-box simulator
        { ["Telephony:Provider=Simulator", "urls=http://127.0.0.1:5000;http://[::1]:5000"], null },
        { ["Telephony:Provider=Simulator", "urls=http://0.0.0.0:5080"], "Telephony:AllowPublicSimulator" },
        { ["Telephony:Provider=Simulator", "urls=http://*:5080"], "Telephony:AllowPublicSimulator" },
        { ["Telephony:Provider=Simulator", "urls=http://localhost:5080", "Kestrel:Endpoints:Web:Url=http://10.0.0.5:80"], "Kestrel:Endpoints:Web:Url" },
        { ["Telephony:Provider=Simulator", "urls=http://localhost:5080", "Recoverly:PublicBaseUrl=https://demo.example.com", "Email:SmtpHost=smtp.example.com"], "Telephony:AllowPublicSimulator" },
        { ["Telephony:Provider=Simulator", "urls=http://0.0.0.0:5080", "Telephony:AllowPublicSimulator=true"], null },
        { ["Telephony:Provider=Telnix"], "Telephony:Provider" },
        { ["Telephony:Provider=Telnyx"], "Recoverly:PublicBaseUrl" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Telnyx", "Telnyx:ApiKey=KEY1", "Telnyx:PublicKey=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="], null },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Telnyx", "Telnyx:PublicKey=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="], "Telnyx:ApiKey" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Telnyx", "Telnyx:ApiKey=KEY1"], "Telnyx:PublicKey" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Telnyx", "Telnyx:ApiKey=KEY1", "Telnyx:PublicKey=AAAA"], "Telnyx:PublicKey" },
        { ["Recoverly:PublicBaseUrl=http://r.example.com", "Telephony:Provider=Telnyx", "Telnyx:ApiKey=KEY1", "Telnyx:PublicKey=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="], "Recoverly:PublicBaseUrl" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Telephony:Provider=Telnyx", "Telnyx:ApiKey=KEY1", "Telnyx:PublicKey=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="], "Email:SmtpHost" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t"], null },
        { ["Recoverly:PublicBaseUrl=http://127.0.0.1:5080", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t"], null }, // tests, benchmarks
        { ["Recoverly:PublicBaseUrl=http://[::1]:5080", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t"], null },
        { ["Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t"], "Recoverly:PublicBaseUrl" },
        { ["Recoverly:PublicBaseUrl=http://r.example.com", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t"], "Recoverly:PublicBaseUrl" },
        { ["Recoverly:PublicBaseUrl=r.example.com", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t"], "Recoverly:PublicBaseUrl" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com/?x=1", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t"], "Recoverly:PublicBaseUrl" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1"], "Twilio:AuthToken" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Twilio", "Twilio:AuthToken=t"], "Twilio:AccountSid" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t"], "Email:SmtpHost" },
        { ["Billing:Provider=Stripe", "Stripe:SecretKey=sk", "Stripe:WebhookSecret=wh"], "Stripe:PriceId" },
        { ["Billing:Provider=Stripe", "Stripe:SecretKey=sk", "Stripe:PriceId=p"], "Stripe:WebhookSecret" },
        { ["Billing:Provider=Stripe", "Stripe:WebhookSecret=wh", "Stripe:PriceId=p"], "Stripe:SecretKey" },
        { ["Billing:Provider=Stripe", "Stripe:SecretKey=sk", "Stripe:WebhookSecret=wh", "Stripe:PriceId=p"], null },
        { ["Billing:Provider=Paddle"], "Billing:Provider" },
        { ["Recoverly:KnownProxies=10.0.0.1, 10.1.0.0/16, ::1, fd00::/8"], null },
        { ["Recoverly:KnownProxies=10.0.0.1, proxy.internal"], "Recoverly:KnownProxies" },
        { ["Recoverly:Roles=web"], null },
        { ["Recoverly:Roles=dispatcher"], null },
        { ["Recoverly:Roles=web, dispatcher"], null },
        { ["Recoverly:Roles=dispatch"], "Recoverly:Roles" },
        { ["Recoverly:Roles=,"], "Recoverly:Roles" },
        { ["Metrics:Enabled=true"], "Metrics:Token" },
        { ["Metrics:Enabled=true", "Metrics:Token=short"], "Metrics:Token" },
        { ["Metrics:Enabled=true", "Metrics:Token=0123456789abcdef0123"], null },
        { ["Metrics:Enabled=false"], null },
        { ["Dispatch:Connections=4"], null },
        { ["Dispatch:Connections=0"], "Dispatch:Connections" },
        { ["Dispatch:Connections=many"], "Dispatch:Connections" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t", "Twilio:LookupBaseUrl=https://lookups.twilio.com"], null },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Twilio", "Twilio:AccountSid=AC1", "Twilio:AuthToken=t", "Twilio:LookupBaseUrl=http://lookups.example.com"], "Twilio:LookupBaseUrl" },
        { ["Recoverly:PublicBaseUrl=https://r.example.com", "Email:SmtpHost=smtp.example.com", "Telephony:Provider=Telnyx", "Telnyx:ApiKey=KEY1", "Telnyx:PublicKey=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "Twilio:LookupBaseUrl=https://lookups.twilio.com"], "Twilio:AccountSid" },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Each_configuration_starts_or_is_refused_naming_its_key(string[] settings, string? key)
    {
        var problem = Problem([.. settings.Select(s => (s[..s.IndexOf('=', StringComparison.Ordinal)], (string?)s[(s.IndexOf('=', StringComparison.Ordinal) + 1)..]))]);
        if (key is null) Assert.Null(problem);
        else
        {
            Assert.NotNull(problem);
            Assert.Contains(key, problem);
            Assert.DoesNotContain('\n', problem);
        }
    }

    public static TheoryData<Dictionary<string, string?>, string> Refused => new()
    {
        { new() { ["Recoverly__PublicBaseUrl"] = null }, "Recoverly:PublicBaseUrl" },
        { new() { ["Recoverly__PublicBaseUrl"] = "http://recoverly.example.com" }, "Recoverly:PublicBaseUrl" },
        { new() { ["Twilio__AuthToken"] = null }, "Twilio:AuthToken" },
        { new() { ["Billing__Provider"] = "Stripe", ["Stripe__SecretKey"] = "sk_live_x", ["Stripe__PriceId"] = "price_x" }, "Stripe:WebhookSecret" },
        { new() { ["Telephony__Provider"] = "Simulator", ["Recoverly__PublicBaseUrl"] = null, ["ASPNETCORE_URLS"] = "http://0.0.0.0:0" }, "Telephony:AllowPublicSimulator" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task The_process_exits_non_zero_with_one_line_naming_the_key_and_nothing_listening(Dictionary<string, string?> settings, string key)
    {
        await using var app = await AppProcess.CreateAsync(Db.Sqlite, settings: settings);
        // With ASPNETCORE_URLS set, no --urls is passed: the binding under test is the environment's.
        string[] args = settings.ContainsKey("ASPNETCORE_URLS") ? ["serve"] : ["serve", "--urls", app.BaseUrl];

        var result = await app.RunCliAsync(args);

        Assert.True(result.ExitCode != 0, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on standard error:\n{result}");
        Assert.Contains(key, lines[0]);
        Assert.DoesNotContain("listening", result.Stdout, StringComparison.OrdinalIgnoreCase);
        using var probe = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync("127.0.0.1", app.Port));
    }

    [Fact]
    public async Task A_public_https_deployment_starts_and_its_health_probe_stays_on_plain_http()
    {
        await using var app = await AppProcess.CreateAsync(Db.Sqlite, settings: new Dictionary<string, string?>
        {
            ["Recoverly__PublicBaseUrl"] = "https://recoverly.example.com", ["Email__SmtpHost"] = "smtp.example.com",
        });

        await app.StartServerAsync(); // returns once GET /healthz answers 200 over http://127.0.0.1

        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var login = await browser.GetAsync(app.BaseUrl + "/login");
        Assert.Equal(System.Net.HttpStatusCode.PermanentRedirect, login.StatusCode);
        Assert.Equal("https://127.0.0.1/login", login.Headers.Location?.OriginalString);
    }
}
