// io.fieldsync for Android: the uniffi-generated Kotlin (src/main/kotlin) and
// libfieldsync.so per ABI (src/main/jniLibs), both written by ../build-android.sh.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "io.fieldsync"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    // Generated (src/main/kotlin) and hand-written (src/main/extensions: the
    // live queries as Flows).
    sourceSets["main"].kotlin.srcDirs("src/main/kotlin", "src/main/extensions")
    sourceSets["main"].jniLibs.srcDirs("src/main/jniLibs")

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
}

dependencies {
    // The generated bindings call libfieldsync through JNA; the AAR carries
    // JNA's own native dispatch library for every ABI.
    api("net.java.dev.jna:jna:5.15.0@aar")
    // SyncClient.sync() and login() are suspend functions.
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
}
