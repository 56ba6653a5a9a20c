using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>With a Messaging Service configured, texts still leave from each business's own number (never a pool pick).</summary>
public class MessagingServiceTests
{
    private const string Service = "MG0123456789abcdef0123456789abcdef";

    [Theory]
    [BothDatabases]
    public async Task Each_business_texts_from_its_own_number_even_through_a_messaging_service(Db db)
    {
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?> { ["Twilio:MessagingServiceSid"] = Service });
        await app.AddBusinessAsync("Acme Plumbing", number: "+15125550100", businessPhone: "+15125550101");
        await app.AddBusinessAsync("Zed Heating", number: "+15125550200", businessPhone: "+15125550201");

        await app.MissedCallAsync("+15125550142", to: "+15125550100");
        await app.MissedCallAsync("+15125550143", to: "+15125550200");
        await app.DispatchAsync();

        var acme = Assert.Single(app.Twilio.SentTo("+15125550142"));
        var zed = Assert.Single(app.Twilio.SentTo("+15125550143"));
        Assert.Equal(("+15125550100", Service), (acme.From, acme.MessagingServiceSid));
        Assert.Equal(("+15125550200", Service), (zed.From, zed.MessagingServiceSid));
    }
}
